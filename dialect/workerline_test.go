package dialect

import (
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/jsonvalue"
)

// TestWorkerLineRoundTrip: what AppendWorkerLine writes, Detect and Read
// take back to the same record (the envelope's equipment and run travel
// in the context and are lifted back out).
func TestWorkerLineRoundTrip(t *testing.T) {
	in := logbus.Record{
		Envelope: logbus.Envelope{Time: time.Date(2026, 11, 22, 10, 0, 0, 500, time.UTC), Equipment: "stage-2",
			Run: logbus.Run{Project: "p-19", Kind: "cal", ID: "r9"}},
		Level: logbus.LevelWarn + 1, Message: "motor hot\nsecond line", Logger: "stage",
		Attrs: []logbus.Attr{
			{Key: "temp", Value: logbus.FloatValue(71.5)},
			{Key: "raw", Value: logbus.BytesValue([]byte{0, 1})},
			{Key: "took", Value: logbus.DurationValue(3 * time.Millisecond)},
			{Key: "axis", Value: logbus.GroupValue(logbus.Attr{Key: "x", Value: logbus.IntValue(3)})},
		},
	}
	line := AppendWorkerLine(nil, &in)
	if line[len(line)-1] != '\n' {
		t.Fatalf("no newline: %q", line)
	}
	v, err := jsonvalue.Parse(line[:len(line)-1], nil)
	if err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	if s := Detect(v.Group()); s != WorkerLine {
		t.Fatalf("detected %v: %s", s, line)
	}
	var out logbus.Record
	Read(WorkerLine, v.Group(), &out)
	if !out.Equal(&in) {
		t.Errorf("read back\n %+v\nwant\n %+v\nfrom %s", out, in, line)
	}
}

func TestDetect(t *testing.T) {
	keys := func(ks ...string) []logbus.Attr {
		as := make([]logbus.Attr, len(ks))
		for i, k := range ks {
			as[i].Key = k
		}
		return as
	}
	for _, c := range []struct {
		attrs []logbus.Attr
		want  Shape
	}{
		{keys("msg", "levelno", "created"), Distlog},
		{keys("msg", "created"), Distlog},
		{keys("channel", "level", "message"), Logbook},
		{keys("level", "message", "context"), WorkerLine},
		{keys("logbus", "level", "msg"), Logbus},
		{keys("level"), Dict},
		{nil, Dict},
	} {
		if got := Detect(c.attrs); got != c.want {
			t.Errorf("Detect(%v) = %v, want %v", c.attrs, got, c.want)
		}
	}
}

// TestWorkerLineLeavesRecord: writing a line never touches the record,
// not even the spare capacity of its attribute slice, which a caller may
// share (a handler's template).
func TestWorkerLineLeavesRecord(t *testing.T) {
	backing := []logbus.Attr{{Key: "a", Value: logbus.IntValue(1)}, {Key: "spare", Value: logbus.IntValue(2)}}
	r := logbus.Record{Envelope: logbus.Envelope{Equipment: "stage-2", Run: logbus.Run{ID: "r1"}}, Message: "m", Attrs: backing[:1]}
	line := string(AppendWorkerLine(nil, &r))
	if backing[1].Key != "spare" || len(r.Attrs) != 1 {
		t.Errorf("the record's spare capacity was written: %+v", backing)
	}
	if want := `{"level":"INFO","message":"m","context":{"a":1,"equipment":"stage-2","run_id":"r1"}}` + "\n"; line != want {
		t.Errorf("line %q, want %q", line, want)
	}
	// A lone attribute whose key is a tag stays a group on the way back.
	r = logbus.Record{Message: "m", Attrs: []logbus.Attr{{Key: "$time", Value: logbus.StringValue("x")}}}
	v, err := jsonvalue.Parse(AppendWorkerLine(nil, &r), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out logbus.Record
	Read(WorkerLine, v.Group(), &out)
	if !logbus.AttrsEqual(out.Attrs, r.Attrs) {
		t.Errorf("attrs %+v, want %+v", out.Attrs, r.Attrs)
	}
}
