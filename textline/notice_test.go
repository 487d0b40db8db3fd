package textline

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
)

// TestNotices: each notice reads the same wherever it is written: the
// text line (with and without a time) and the record JSON outputs carry.
func TestNotices(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.UTC)
	gap := logbus.Gap{Stream: 0xa1, Topic: "PLM/scope-3/", Host: "lab-7", PID: 41, Missing: 5, After: 1200}
	for _, c := range []struct {
		n     Notice
		text  string
		event string
	}{
		{GapNotice(gap), "GAP stream=00000000000000a1 topic=PLM/scope-3/ host=lab-7 pid=41 missing=5 after=1200", "gap"},
		{DecodeErrorNotice("PLM", "", errors.New("codec: malformed msgpack")), "DECODE-ERROR topic=PLM codec: malformed msgpack", "decode_error"},
		{RefusedNotice("sample", errors.New("bad path")), "REFUSED sample: bad path", "refused"},
		{DestinationErrorNotice("scope-3/lab 7.log", 12, errors.New("no space left on device")),
			`DESTINATION-ERROR path="scope-3/lab 7.log" records=12 err="no space left on device"`, "destination_error"},
		{DestinationFailingNotice("scope-3/lab-7.log", errors.New("permission denied")),
			`DESTINATION-FAILING path="scope-3/lab-7.log" err=permission denied`, "destination_failing"},
	} {
		if got := string(AppendNotice(nil, at, &c.n)); got != "2026-11-22T10:00:00.123Z "+c.text+"\n" {
			t.Errorf("text line %q, want %q", got, c.text)
		}
		if got := string(AppendNotice(nil, time.Time{}, &c.n)); got != c.text+"\n" {
			t.Errorf("untimed line %q", got)
		}
		r := c.n.Record("logbus.test", at)
		if r.Message != c.text || r.Level != logbus.LevelWarn || r.Logger != "logbus.test" || !r.Time.Equal(at) {
			t.Errorf("record %+v", r)
		}
		if v, ok := r.Attr("event"); !ok || v.Str() != c.event || r.Attrs[0].Key != "event" {
			t.Errorf("%s: event attribute %v, want %q first", c.n.Event, v, c.event)
		}
	}
}

// TestRejectedNotice: copies and summaries read as documented, and a
// preview that is not escaped (a broker of another make) cannot break
// the line.
func TestRejectedNotice(t *testing.T) {
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	copyOf := logbus.Rejected{Peer: "192.0.2.7:50112", Reason: logbus.RejectBadTopic, Count: 1, First: at, Last: at,
		Frames: 2, Bytes: 16, Preview: `["INFO" "motor hot\n"]`}
	n := RejectedNotice(&copyOf)
	if want := `REJECTED peer=192.0.2.7:50112 user=- reason=bad_topic frames=2 bytes=16 preview=["INFO" "motor hot\n"]`; n.Text != want {
		t.Errorf("copy:\n%s\nwant\n%s", n.Text, want)
	}
	sum := copyOf
	sum.Summary, sum.User, sum.Count, sum.Copies, sum.Last = true, "lab 7", 5312, 10, at.Add(time.Second)
	n = RejectedNotice(&sum)
	if want := `REJECTED-SUMMARY peer=192.0.2.7:50112 user="lab 7" reason=bad_topic messages=5312 copied=10 first=2026-11-29T12:00:00Z last=2026-11-29T12:00:01Z preview=["INFO" "motor hot\n"]`; n.Text != want {
		t.Errorf("summary:\n%s\nwant\n%s", n.Text, want)
	}
	hostile := copyOf
	hostile.Preview = "line\nFAKE RECORD\x1b[2J"
	hostile.Peer = "a b\nc"
	if n = RejectedNotice(&hostile); strings.ContainsAny(n.Text, "\n\x1b") {
		t.Errorf("hostile preview kept raw: %q", n.Text)
	}
}

// TestLimiter: per key a burst per window, the rest counted and summed up
// in one notice when the window ends (on the next notice or Due).
func TestLimiter(t *testing.T) {
	l := NewLimiter(EventDecodeError)
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	written := 0
	for i := range 100 {
		ok, sum := l.Allow("192.0.2.7", at.Add(time.Duration(i)*time.Millisecond))
		if sum != nil {
			t.Fatalf("summary within the window: %s", sum.Text)
		}
		if ok {
			written++
		}
	}
	if ok, _ := l.Allow("192.0.2.8", at); !ok || written != 10 {
		t.Errorf("%d written of one key; another key refused: %v", written, ok)
	}
	ok, sum := l.Allow("192.0.2.7", at.Add(11*time.Second))
	if !ok || sum == nil || !strings.Contains(sum.Text, "source=192.0.2.7 suppressed=90 ") {
		t.Fatalf("after the window: %v %+v", ok, sum)
	}
	for range 20 {
		l.Allow("192.0.2.7", at.Add(12*time.Second))
	}
	due := l.Due(at.Add(30 * time.Second))
	// 21 in the second window, 10 of them written.
	if len(due) != 1 || !strings.Contains(due[0].Text, "suppressed=11 ") {
		t.Errorf("due: %+v", due)
	}
	if len(l.Due(at.Add(60*time.Second))) != 0 || len(l.keys) != 0 {
		t.Errorf("keys not forgotten: %d", len(l.keys))
	}
}
