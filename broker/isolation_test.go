package broker_test

import (
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/broker"
	"github.com/logbus/logbus/internal/testbus"
	"github.com/logbus/logbus/subscriber"
)

// TestArchiverRestartMissesNothing: a named archiver that goes away and
// comes back under its name receives what arrived meanwhile, then what
// follows, without a gap; dashboards are not held meanwhile.
func TestArchiverRestartMissesNothing(t *testing.T) {
	b := testbus.StartBroker(t, &broker.Config{ArchiveGrace: time.Minute})
	p := testbus.Publisher(t, b.Ingest(), nil)
	a := testbus.Archiver(t, b.Archive(), "sink", nil)
	testbus.Joined(t, p, a)
	pub := func(from, to int) {
		for i := from; i < to; i++ {
			p.Publish(&logbus.Record{Message: "r", Attrs: []logbus.Attr{{Key: "i", Value: logbus.IntValue(int64(i))}}})
		}
	}
	pub(0, 100)
	if recs, gaps := collect(t, a, 100, 10*time.Second); len(gaps) != 0 {
		t.Fatalf("gaps %v", gaps)
	} else if v, _ := recs[99].Attr("i"); v.Int64() != 99 {
		t.Fatalf("last %v", v)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	pub(100, 200)
	a2 := testbus.Archiver(t, b.Archive(), "sink", nil)
	recs, gaps := collect(t, a2, 100, 10*time.Second)
	if v, _ := recs[0].Attr("i"); len(gaps) != 0 || v.Int64() != 100 {
		t.Fatalf("back: first %v, gaps %v; %+v", v, gaps, b.Stats().Archive)
	}
	pub(200, 300)
	recs, gaps = collect(t, a2, 100, 10*time.Second)
	if v, _ := recs[99].Attr("i"); len(gaps) != 0 || v.Int64() != 299 {
		t.Fatalf("after: last %v, gaps %v; %+v", v, gaps, b.Stats().Archive)
	}
	_ = subscriber.KindRecord
}
