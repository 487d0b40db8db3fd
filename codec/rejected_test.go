package codec

import (
	"testing"
	"time"

	"github.com/logbus/logbus"
)

func TestRejectedRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 29, 12, 0, 0, 123456789, time.UTC)
	for _, in := range []logbus.Rejected{
		{Peer: "192.0.2.7:50112", Reason: logbus.RejectBadTopic, Count: 1, First: at, Last: at, Frames: 2, Bytes: 16, Preview: `["INFO" "motor hot\n"]`},
		{Summary: true, Peer: "", User: "lab7", Reason: logbus.RejectNotJSON, Count: 5312, Copies: 10, First: at, Last: at.Add(time.Second), Frames: 1, Bytes: 1, Preview: `["x"]`},
	} {
		b := AppendRejected(nil, &in)
		var out logbus.Rejected
		if err := DecodeRejected(b, &out); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		if out != in {
			t.Errorf("read back\n %+v\nwant\n %+v", out, in)
		}
	}
	var out logbus.Rejected
	for _, bad := range []string{`not json`, `{"count":"many"}`, `{"first":"yesterday","last":""}`} {
		if err := DecodeRejected([]byte(bad), &out); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func FuzzDecodeRejected(f *testing.F) {
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	f.Add(AppendRejected(nil, &logbus.Rejected{Peer: "p", Reason: "bad_topic", Count: 1, First: at, Last: at, Preview: `["a"]`}))
	f.Add([]byte(`{"logbus":1,"first":"2026-11-29T12:00:00Z","last":"2026-11-29T12:00:00Z","preview":"\u0000"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r logbus.Rejected
		if DecodeRejected(b, &r) != nil {
			return
		}
		var again logbus.Rejected
		if err := DecodeRejected(AppendRejected(nil, &r), &again); err != nil || again != r {
			t.Errorf("round trip of %+v: %+v, %v", r, again, err)
		}
	})
}
