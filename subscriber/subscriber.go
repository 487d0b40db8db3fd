package subscriber

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/logbus/logbus/codec"
	"github.com/logbus/logbus/topic"
	"github.com/logbus/logbus/zmtp"
)

// DefaultEndpoint is the broker's lossy fan-out for dashboards.
const DefaultEndpoint = "tcp://127.0.0.1:5011"

// Options configure a Subscriber. A nil *Options means the defaults.
type Options struct {
	// Filter selects systems, kinds and encodings by topic prefix, so the
	// broker sends nothing else. Equipments are matched against each
	// record's equipment after decoding (Python clients do not put it in
	// the topic), unless TopicRouting is set. Default: everything.
	Filter topic.Filter
	// TopicRouting subscribes to the equipment topic suffixes themselves:
	// less traffic, but records from senders that do not add the suffix
	// (every Python client) are not received.
	TopicRouting bool
	// MinLevel drops records below it after gap checking (so filtered
	// records are not mistaken for lost ones). Default: all levels.
	MinLevel *codec.Level
	// QueueMessages bounds messages received but not yet read by Next.
	// Default 10000.
	QueueMessages int
	// MaxStreams bounds the publisher streams tracked for gaps.
	// Default 100000.
	MaxStreams int
	// PlainUsername and PlainPassword authenticate with ZMTP PLAIN.
	PlainUsername, PlainPassword string
	// ReconnectInterval and ReconnectIntervalMax pace redialling a lost
	// broker. Defaults 100 ms and 5 s.
	ReconnectInterval, ReconnectIntervalMax time.Duration
}

// Subscriber reads decoded events from a broker. It is not safe for
// concurrent use: one goroutine calls Next.
type Subscriber struct {
	sock   *zmtp.Socket
	opts   Options
	seq    *sequencer
	dec    codec.Decoder
	frames zmtp.Msg
	msg    codec.Message
	queue  []Event // events of the current message not yet returned
	stats  Stats

	prefixes [][]byte // the subscriptions made at Dial
}

// Stats counts what a subscriber has seen.
type Stats struct {
	Messages, Records, Samples uint64
	Filtered                   uint64 // records dropped by MinLevel or equipment
	DecodeErrors               uint64
	Gaps, Missing, Reordered   uint64
}

// Dial connects to endpoint (DefaultEndpoint when empty). The broker need
// not be up: the connection is made, and remade after any loss, in the
// background. ctx only bounds the set-up.
func Dial(ctx context.Context, endpoint string, opts *Options) (*Subscriber, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.QueueMessages <= 0 {
		o.QueueMessages = 10000
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = 100000
	}
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	routing := o.Filter
	if !o.TopicRouting {
		routing.Equipments = nil
	}
	prefixes, err := routing.Prefixes()
	if err != nil {
		return nil, fmt.Errorf("subscriber: %w", err)
	}
	// XSUB rather than SUB: the broker filters by our subscriptions, and
	// XSUB does not filter again locally, so after Unsubscribe what is
	// already on its way is still delivered (a SUB would discard it).
	sock, err := zmtp.NewSocket(zmtp.XSUB, &zmtp.Options{
		RecvHWM:              o.QueueMessages,
		PlainUsername:        o.PlainUsername,
		PlainPassword:        o.PlainPassword,
		ReconnectInterval:    o.ReconnectInterval,
		ReconnectIntervalMax: o.ReconnectIntervalMax,
	})
	if err != nil {
		return nil, fmt.Errorf("subscriber: %w", err)
	}
	for _, p := range prefixes {
		if err := sock.Subscribe(p); err != nil {
			return nil, errors.Join(fmt.Errorf("subscriber: %w", err), sock.Close())
		}
	}
	if err := sock.Connect(endpoint); err != nil {
		return nil, errors.Join(fmt.Errorf("subscriber: %w", err), sock.Close())
	}
	return &Subscriber{sock: sock, opts: o, seq: newSequencer(o.MaxStreams), prefixes: prefixes}, nil
}

// Next returns the next event, waiting until one arrives or ctx ends.
func (s *Subscriber) Next(ctx context.Context) (Event, error) {
	for len(s.queue) == 0 {
		if err := s.sock.RecvInto(ctx, &s.frames); err != nil {
			return Event{}, err
		}
		s.stats.Messages++
		s.process()
	}
	ev := s.queue[0]
	s.queue = s.queue[1:]
	return ev, nil
}

// All iterates over events until ctx ends or the subscriber is closed;
// the error, if any, is the last value.
func (s *Subscriber) All(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			ev, err := s.Next(ctx)
			if err != nil {
				yield(Event{}, err)
				return
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// process decodes the received message into queued events.
func (s *Subscriber) process() {
	s.queue = s.queue[:0]
	err := s.dec.Decode(s.frames, &s.msg)
	t := s.msg.Topic
	if err != nil {
		s.stats.DecodeErrors++
		s.queue = append(s.queue, Event{Kind: KindDecodeError, Topic: t, Err: err})
		if len(s.msg.Records)+len(s.msg.Samples) == 0 {
			return
		}
	}
	var topicFrame []byte
	if s.msg.HasTopic {
		topicFrame = s.frames[0]
	}
	for i := range s.msg.Records {
		r := &s.msg.Records[i]
		s.stats.Records++
		s.gap(topicFrame, &r.Envelope, t)
		if s.filtered(r) {
			s.stats.Filtered++
			continue
		}
		s.queue = append(s.queue, Event{Kind: KindRecord, Topic: t, Record: r})
	}
	for i := range s.msg.Samples {
		sm := &s.msg.Samples[i]
		s.stats.Samples++
		s.gap(topicFrame, &sm.Envelope, t)
		if len(s.opts.Filter.Equipments) > 0 && !slices.Contains(s.opts.Filter.Equipments, sm.Equipment) {
			s.stats.Filtered++
			continue
		}
		s.queue = append(s.queue, Event{Kind: KindSample, Topic: t, Sample: sm})
	}
}

func (s *Subscriber) gap(topicFrame []byte, env *codec.Envelope, t topic.Topic) {
	if topicFrame == nil {
		return
	}
	if g, ok := s.seq.check(topicFrame, env); ok {
		s.stats.Gaps, s.stats.Missing = s.seq.Gaps, s.seq.Missing
		s.queue = append(s.queue, Event{Kind: KindGap, Topic: t, Gap: g})
	}
	s.stats.Reordered = s.seq.Reordered
}

func (s *Subscriber) filtered(r *codec.Record) bool {
	if s.opts.MinLevel != nil && r.Level < *s.opts.MinLevel {
		return true
	}
	return len(s.opts.Filter.Equipments) > 0 && !slices.Contains(s.opts.Filter.Equipments, r.Equipment)
}

// Stats returns the subscriber's counters. Call it from the goroutine
// that calls Next.
func (s *Subscriber) Stats() Stats { return s.stats }

// Connected reports whether the broker is connected.
func (s *Subscriber) Connected() bool { return s.sock.PeerCount() > 0 }

// Unsubscribe cancels the subscriptions: the broker stops sending new
// messages, while those already on their way can still be read with Next.
// A consumer stopping gracefully calls it, then reads until the input is
// quiet, so nothing in flight is lost.
func (s *Subscriber) Unsubscribe() error {
	var errs []error
	for _, p := range s.prefixes {
		errs = append(errs, s.sock.Unsubscribe(p))
	}
	return errors.Join(errs...)
}

// Close disconnects. It is idempotent and safe on a nil *Subscriber.
func (s *Subscriber) Close() error {
	if s == nil {
		return nil
	}
	return s.sock.Close()
}

// Buffered returns how many events of the current message Next has yet
// to return: a caller batching output flushes when it reaches 0.
func (s *Subscriber) Buffered() int { return len(s.queue) }

// done is an already-finished context: receiving with it never waits.
var done = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// TryNext returns the next event if one is already here, without
// waiting: a consumer that batches work uses it to tell when its input
// has gone idle.
func (s *Subscriber) TryNext() (Event, bool) {
	ev, err := s.Next(done)
	return ev, err == nil
}
