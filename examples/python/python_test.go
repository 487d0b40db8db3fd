// Package python tests the Python examples against a real broker.
package python

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/broker"
	"github.com/logbus/logbus/internal/pyinterop"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/publisher"
	"github.com/logbus/logbus/subscriber"
)

func TestLogbusHandlerExample(t *testing.T) {
	py := pyinterop.Python(t, "zmq")
	b, err := broker.New(&broker.Config{Ingest: "tcp://127.0.0.1:0", Fanout: "tcp://127.0.0.1:0", Archive: "tcp://127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	}()
	// PUB/SUB delivers only once the subscription has reached the
	// broker: publish probes until one arrives, then run the script.
	sub, err := subscriber.Dial(ctx, b.Endpoints().Archive, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sub.Close(); err != nil {
			t.Error(err)
		}
	}()
	probe, err := publisher.New(b.Endpoints().Ingest, nil)
	if err != nil {
		t.Fatal(err)
	}
	testsupport.Probe(t, 10*time.Second, "the subscriber to join",
		func() { probe.Publish(&logbus.Record{Message: "probe"}) },
		func(ctx context.Context) bool { _, err := sub.Next(ctx); return err == nil })
	cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
	defer ccancel()
	if err := probe.Close(cctx); err != nil {
		t.Fatal(err)
	}
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
		if ev.Kind == subscriber.KindRecord && ev.Record.Message != "probe" {
			t.Fatalf("unexpected record %q", ev.Record.Message)
		}
	}
	script, err := os.ReadFile("demo.py")
	if err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	proc := pyinterop.Start(t, py, "import sys; sys.path.insert(0, "+quote(wd)+")\n"+string(script), b.Endpoints().Ingest)
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

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "\\'") + "'" }
