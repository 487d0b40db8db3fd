// Package python tests the Python examples against a real broker.
package python

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus/internal/testbus"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/pyinterop"
	"github.com/logbus/logbus/subscriber"
)

func TestLogbusHandlerExample(t *testing.T) {
	py, env := pyinterop.Package(t)
	b := testbus.StartBroker(t, nil)
	ctx := context.Background()
	// PUB/SUB delivers only once the subscription has reached the
	// broker: publish probes until one arrives, then run the script.
	sub := testbus.Subscriber(t, b.Archive(), nil)
	testbus.Joined(t, testbus.Publisher(t, b.Ingest(), nil), sub)
	var err error
	for { // drain the remaining probes
		ev, ok := sub.TryNext()
		if !ok {
			pctx, pcancel := context.WithTimeout(ctx, 100*time.Millisecond)
			ev, err = sub.Next(pctx)
			pcancel()
			if err != nil {
				break
			}
		}
		if ev.Kind == subscriber.KindRecord && ev.Record.Message != testbus.ProbeMessage {
			t.Fatalf("unexpected record %q", ev.Record.Message)
		}
	}
	script, err := os.ReadFile("demo.py")
	if err != nil {
		t.Fatal(err)
	}
	proc := pyinterop.StartEnv(t, py, env, string(script), b.Ingest())
	var recs []logbus.Record
	rctx, rcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer rcancel()
	for len(recs) < 4 {
		ev, err := sub.Next(rctx)
		if err != nil {
			st := b.Stats()
			t.Fatalf("after %d records: %v (python stdout %q); broker in %d forwarded %d rejected %+v ingest peers %d archive sent %d",
				len(recs), err, proc.Stdout(), st.In, st.Forwarded, st.Rejected, len(st.Ingest.Peers), st.Archive.Sent)
		}
		if ev.Kind == subscriber.KindDecodeError {
			t.Fatalf("decode error: %v", ev.Err)
		}
		if ev.Kind == subscriber.KindRecord {
			r := *ev.Record
			r.Attrs = append([]logbus.Attr(nil), r.Attrs...)
			recs = append(recs, r)
		}
	}
	proc.Wait(t, 10*time.Second)
	if r := recs[0]; r.Level != logbus.LevelInfo || r.Message != "stage moved" || r.Equipment != "scope-3" ||
		r.Run != (logbus.Run{Project: "p-19", Kind: "calibration", ID: "r-42"}) || r.Logger != "lab.stage" || r.Source.Line == 0 {
		t.Errorf("record 0: %+v", r)
	}
	if v, _ := recs[0].Attr("x_um"); v.Float64() != 1250.5 {
		t.Errorf("extra x_um: %v", v)
	}
	if r := recs[1]; r.Level != logbus.LevelWarn || r.Equipment != "stage-2" {
		t.Errorf("record 1: %+v", r)
	} else if v, _ := r.Attr("drift"); v.Kind() != logbus.KindFloat || v.Float64() == v.Float64() {
		t.Errorf("NaN extra: %v", v)
	}
	if r := recs[2]; r.Level != logbus.LevelError || !strings.Contains(r.Error, "ZeroDivisionError") {
		t.Errorf("record 2: %+v", r)
	}
	if r := recs[3]; r.Level != logbus.LevelInfo+2 {
		t.Errorf("custom level 25 became %v", r.Level)
	}
}
