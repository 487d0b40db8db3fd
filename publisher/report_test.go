package publisher

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/testsupport"
)

// reportsIn sums the dropped counts of drop reports among recs. A
// report is timed like any record (issue #16: it was written with "-").
func reportsIn(recs []logbus.Record) (reports int, dropped uint64) {
	for _, r := range recs {
		if r.Logger == "logbus.publisher" {
			if r.Time.IsZero() {
				panic("a drop report without a time")
			}
			v, _ := r.Attr("dropped")
			reports++
			dropped += uint64(v.Int64())
		}
	}
	return reports, dropped
}

// TestDropReportWhileBusy: drops are reported while the program keeps
// logging (the queue never idles), within about a second, not only once
// it goes quiet.
func TestDropReportWhileBusy(t *testing.T) {
	pl, ep := startPull(t, "")
	p := newPublisher(t, ep, &Options{QueueRecords: 4})
	testsupport.WaitFor(t, 5*time.Second, "connected", func() bool { return p.Stats().Connected == 1 })
	deadline := time.Now().Add(10 * time.Second)
	var recs []logbus.Record
	for time.Now().Before(deadline) {
		// A burst the 4-record queue cannot hold, and steady logging.
		for range 200 {
			p.Publish(&logbus.Record{Message: "busy"})
		}
		recs = append(recs, pl.poll(10*time.Millisecond)...)
		if n, _ := reportsIn(recs); n > 0 {
			break
		}
	}
	n, dropped := reportsIn(recs)
	if n == 0 {
		t.Fatalf("no drop report within 10 s of steady logging; %+v", p.Stats())
	}
	if dropped == 0 || dropped > p.Stats().Dropped.QueueFull {
		t.Errorf("report says %d dropped, stats %d", dropped, p.Stats().Dropped.QueueFull)
	}
}

// TestDropReportFallback: with no broker, drops are reported on the
// fallback writer within about a second, and on the bus once it is back.
func TestDropReportFallback(t *testing.T) {
	ep := freePort(t)
	fb := new(testsupport.LockedBuffer)
	p := newPublisher(t, ep, &Options{QueueRecords: 4, Fallback: fb})
	for range 100000 {
		p.Publish(&logbus.Record{Message: "x"})
	}
	dropped := p.Stats().Dropped.QueueFull
	if dropped == 0 {
		t.Fatal("no drops")
	}
	testsupport.WaitFor(t, 5*time.Second, "a fallback report", func() bool {
		return strings.Contains(fb.String(), "broker unreachable")
	})
	if !strings.Contains(fb.String(), " WARN logbus.publisher host=") {
		t.Errorf("fallback line: %q", fb.String())
	}
	pl, _ := startPull(t, ep)
	var recs []logbus.Record
	for {
		recs = append(recs, pl.records(1, 15*time.Second)...)
		if _, d := reportsIn(recs); d >= dropped {
			if d != dropped {
				t.Errorf("reports on the bus say %d dropped, stats %d", d, dropped)
			}
			break
		}
	}
	// Closed while the broker is there: the bus was told everything.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestDropReportAtClose: drops not yet reported when Close starts are
// reported on the bus by Close (a program that logs a burst and exits),
// and Close returns nil since the bus was told.
func TestDropReportAtClose(t *testing.T) {
	pl, ep := startPull(t, "")
	p, err := New(ep, &Options{QueueRecords: 4, Fallback: new(testsupport.LockedBuffer)})
	if err != nil {
		t.Fatal(err)
	}
	testsupport.WaitFor(t, 5*time.Second, "connected", func() bool { return p.Stats().Connected == 1 })
	for range 5000 {
		p.Publish(&logbus.Record{Message: "burst"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	st := p.Stats()
	if st.Dropped.QueueFull == 0 {
		t.Skip("no drops: the sender kept up with a 4-record queue")
	}
	recs := pl.records(int(st.Sent)+1, 10*time.Second) // every record, and at least one report
	for {
		_, d := reportsIn(recs)
		if d == st.Dropped.QueueFull {
			break
		}
		if d > st.Dropped.QueueFull {
			t.Fatalf("reports say %d dropped, stats %d", d, st.Dropped.QueueFull)
		}
		recs = append(recs, pl.records(1, 5*time.Second)...)
	}
}
