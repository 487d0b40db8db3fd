// Package testbus starts the bus's parts for tests: a broker forwarding
// on ephemeral loopback ports, publishers and subscribers that close at
// the test's cleanup, and the probe that waits for a subscription to
// reach the broker.
//
// It is the upper half of the test support; [testsupport] is the lower,
// dependency-free half (waiting, buffers, free ports, records). The two
// are split only because Go forbids import cycles: the tests inside
// package publisher or subscriber can use testsupport but not a package
// that imports publisher or subscriber. Every test outside those packages
// starts brokers, publishers and subscribers through this one.
package testbus

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/broker"
	"github.com/logbus/logbus/filesink"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/publisher"
	"github.com/logbus/logbus/subscriber"
)

// Loopback is an ephemeral port on 127.0.0.1: the endpoint a test binds.
const Loopback = "tcp://127.0.0.1:0"

// Broker is a broker forwarding until the test ends (or Stop).
type Broker struct {
	*broker.Broker
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// StartBroker starts a broker from cfg (nil for all defaults) and runs
// it until the test's cleanup. Unset endpoints bind Loopback; an unset
// DrainTimeout is 2 s, and an unset ArchiveGrace 50 ms: most tests have
// no archiver, and what the broker keeps for the first one is dropped
// soon.
func StartBroker(t testing.TB, cfg *broker.Config) *Broker {
	t.Helper()
	var c broker.Config
	if cfg != nil {
		c = *cfg
	}
	for _, f := range []*string{&c.Ingest, &c.Fanout, &c.Archive} {
		if *f == "" {
			*f = Loopback
		}
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = 2 * time.Second
	}
	if c.ArchiveGrace == 0 {
		c.ArchiveGrace = 50 * time.Millisecond
	}
	b, err := broker.New(&c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Broker{Broker: b, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- b.Run(ctx) }()
	t.Cleanup(func() { r.Stop(t) })
	return r
}

// Stop ends Run (which drains) and closes the broker; it is idempotent.
func (r *Broker) Stop(t testing.TB) {
	r.once.Do(func() {
		r.cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("broker Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("broker Run did not return after cancel")
		}
		if err := r.Close(); err != nil {
			t.Errorf("broker Close: %v", err)
		}
	})
}

// Ingest is the bound ingest endpoint.
func (r *Broker) Ingest() string { return r.Endpoints().Ingest }

// Fanout is the bound fan-out endpoint.
func (r *Broker) Fanout() string { return r.Endpoints().Fanout }

// Archive is the bound archive endpoint ("" when disabled).
func (r *Broker) Archive() string { return r.Endpoints().Archive }

// Publisher connects a publisher to ep and closes it at cleanup, failing
// the test if Close cannot flush within 10 s.
func Publisher(t testing.TB, ep string, opts *publisher.Options) *publisher.Publisher {
	t.Helper()
	if opts == nil {
		opts = &publisher.Options{}
	}
	if opts.Fallback == nil {
		// Drop reports go to the test log, not the test binary's stderr.
		opts.Fallback = testsupport.LogWriter(t)
	}
	p, err := publisher.New(ep, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("publisher Close: %v", err)
		}
	})
	return p
}

// Subscriber connects a subscriber to ep and closes it at cleanup.
func Subscriber(t testing.TB, ep string, opts *subscriber.Options) *subscriber.Subscriber {
	t.Helper()
	s, err := subscriber.Dial(context.Background(), ep, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("subscriber Close: %v", err)
		}
	})
	return s
}

// Archiver is Subscriber declaring itself the named archiver (the broker
// then serves it without loss; see subscriber.Options.Archiver).
func Archiver(t testing.TB, ep, name string, opts *subscriber.Options) *subscriber.Subscriber {
	t.Helper()
	var o subscriber.Options
	if opts != nil {
		o = *opts
	}
	o.Archiver = name
	return Subscriber(t, ep, &o)
}

// FileSink starts a file sink archiving b into a new root with cfg (nil:
// the defaults; Root is set here) and returns the root. It joins first
// (a probe record, which goes to the central log), so nothing sent after
// is kept for a late archiver; it stops at the test's end.
func FileSink(t testing.TB, b *Broker, cfg *filesink.Config) string {
	t.Helper()
	var c filesink.Config
	if cfg != nil {
		c = *cfg
	}
	sub := Archiver(t, b.Archive(), "sink", nil)
	Joined(t, Publisher(t, b.Ingest(), nil), sub)
	c.Root = t.TempDir()
	sink, err := filesink.New(&c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sink.Run(ctx, sub) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("file sink Run: %v", err)
		}
		if err := sink.Close(); err != nil {
			t.Errorf("file sink Close: %v", err)
		}
	})
	return c.Root
}

// ProbeMessage is the message of Joined's probe records (DEBUG, no
// equipment): tests that count records skip it.
const ProbeMessage = "probe"

// Joined publishes probe records until each subscriber has received one:
// PUB/SUB delivers only once the subscription has reached the broker, so
// a test counts records only after this. It fails the test after 10 s.
func Joined(t testing.TB, p *publisher.Publisher, subs ...*subscriber.Subscriber) {
	t.Helper()
	for _, s := range subs {
		testsupport.Probe(t, 10*time.Second, "a subscriber to join",
			func() { p.Publish(&logbus.Record{Message: ProbeMessage, Level: logbus.LevelDebug}) },
			func(ctx context.Context) bool {
				ev, err := s.Next(ctx)
				return err == nil && ev.Kind == subscriber.KindRecord && ev.Record.Message == ProbeMessage
			})
	}
}
