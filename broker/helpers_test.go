package broker

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/publisher"
	"github.com/logbus/logbus/subscriber"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// running is a broker on ephemeral loopback ports, forwarding until the
// test ends.
type running struct {
	*Broker
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

func startBroker(t *testing.T, cfg *Config) *running {
	t.Helper()
	// Most tests have no archiver: a short grace keeps them from waiting
	// for one.
	c := Config{Ingest: "tcp://127.0.0.1:0", Fanout: "tcp://127.0.0.1:0", Archive: "tcp://127.0.0.1:0", DrainTimeout: 2 * time.Second,
		ArchiveGrace: 50 * time.Millisecond}
	if cfg != nil {
		c = *cfg
		for _, f := range []*string{&c.Ingest, &c.Fanout, &c.Archive} {
			if *f == "" {
				*f = "tcp://127.0.0.1:0"
			}
		}
		if c.DrainTimeout == 0 {
			c.DrainTimeout = 2 * time.Second
		}
		if c.ArchiveGrace == 0 {
			c.ArchiveGrace = 50 * time.Millisecond
		}
	}
	b, err := New(&c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Broker: b, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- b.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop ends Run (draining) and closes the broker; it is idempotent.
func (r *running) stop(t *testing.T) {
	r.once.Do(func() {
		r.cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

func (r *running) ingest() string    { return r.Endpoints().Ingest }
func (r *running) fanout() string    { return r.Endpoints().Fanout }
func (r *running) archiveEP() string { return r.Endpoints().Archive }

func newPub(t *testing.T, ep string, opts *publisher.Options) *publisher.Publisher {
	t.Helper()
	p, err := publisher.New(ep, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return p
}

func newSub(t *testing.T, ep string, opts *subscriber.Options) *subscriber.Subscriber {
	t.Helper()
	s, err := subscriber.Dial(context.Background(), ep, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// joined publishes probe records until sub sees one: PUB/SUB delivers
// only once the subscription has reached the broker.
func joined(t *testing.T, p *publisher.Publisher, subs ...*subscriber.Subscriber) {
	t.Helper()
	for _, s := range subs {
		testsupport.Probe(t, 10*time.Second, "a subscriber to join",
			func() { p.Publish(&logbus.Record{Message: "probe", Level: logbus.LevelDebug}) },
			func(ctx context.Context) bool {
				ev, err := s.Next(ctx)
				return err == nil && ev.Kind == subscriber.KindRecord && ev.Record.Message == "probe"
			})
	}
}

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
