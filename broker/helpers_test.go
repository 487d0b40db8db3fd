package broker_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/subscriber"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// collect reads records (skipping probes) until n arrived, returning them
// and the gaps seen meanwhile.
func collect(t *testing.T, s *subscriber.Subscriber, n int, d time.Duration) ([]logbus.Record, []logbus.Gap) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var recs []logbus.Record
	var gaps []logbus.Gap
	for len(recs) < n {
		ev, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("after %d of %d records: %v", len(recs), n, err)
		}
		switch ev.Kind {
		case subscriber.KindRecord:
			if ev.Record.Message != "probe" {
				r := *ev.Record
				r.Attrs = append([]logbus.Attr(nil), r.Attrs...)
				recs = append(recs, r)
			}
		case subscriber.KindGap:
			gaps = append(gaps, ev.Gap)
		case subscriber.KindDecodeError:
			t.Errorf("decode error: %v", ev.Err)
		}
	}
	return recs, gaps
}
