package dialect

import (
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/jsonvalue"
)

// TestLogbookJSONRoundTrip: what AppendLogbookJSON writes is read back by
// the logbook reader as the same record (the host, equipment and run in
// extra; braces in the message survive logbook's formatting, which the
// reader does not redo: it takes "message").
func TestLogbookJSONRoundTrip(t *testing.T) {
	in := logbus.Record{
		Envelope: logbus.Envelope{Time: time.Date(2026, 11, 29, 12, 0, 0, 123456000, time.UTC), Host: "lab-7", PID: 42,
			Equipment: "scope-3", Run: logbus.Run{Project: "p-19", Kind: "cal", ID: "r-1"}},
		Level: logbus.LevelWarn, Message: "motor {hot} \"71.5\"", Logger: "lab.stage", Error: "Traceback …",
		Source: logbus.Source{File: "/src/x.py", Line: 3, Function: "move"},
		Attrs:  []logbus.Attr{{Key: "axis", Value: logbus.StringValue("x")}, {Key: "um", Value: logbus.FloatValue(2.5)}},
	}
	b := AppendLogbookJSON(nil, &in)
	v, err := jsonvalue.Parse(b, nil)
	if err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if s := Detect(v.Group()); s != Logbook {
		t.Fatalf("detected %v: %s", s, b)
	}
	var out logbus.Record
	Read(Logbook, v.Group(), &out)
	if !out.Equal(&in) {
		t.Errorf("read back\n %+v\nwant\n %+v\nfrom %s", out, in, b)
	}
	for l, want := range map[logbus.Level]int{logbus.LevelTrace: 9, logbus.LevelDebug: 10, logbus.LevelInfo: 11, logbus.LevelNotice: 12,
		logbus.LevelWarn: 13, logbus.LevelWarn + 2: 13, logbus.LevelError: 14, logbus.LevelCritical + 4: 15} {
		if got := LevelToLogbook(l); got != want {
			t.Errorf("%v: %d, want %d", l, got, want)
		}
	}
}
