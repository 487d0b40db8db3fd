package subscriber

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/codec"
	"github.com/logbus/logbus/origin"
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
	MinLevel *logbus.Level
	// QueueMessages bounds messages received but not yet read by Next.
	// Default 10000.
	QueueMessages int
	// MaxStreams bounds the publisher streams tracked for gaps.
	// Default 100000.
	MaxStreams int
	// Resume seeds gap detection with where streams stood when a previous
	// consumer stopped (a file sink restarting after a crash): a stream
	// that continues past its position is checked from there, so records
	// lost while nobody was reading are reported as a gap instead of the
	// stream counting as joined late.
	Resume []Position
	// ResumeLinks seeds link checking (package origin) like Resume seeds
	// gap detection: where the consumer stood on the link it reads, so
	// that messages lost while nobody read (a crash) are reported as a
	// link gap. Links are checked only by a subscriber that takes every
	// message (no Filter prefixes): the file sink.
	ResumeLinks []LinkPosition
	// PlainUsername and PlainPassword authenticate with ZMTP PLAIN.
	PlainUsername, PlainPassword string
	// Logger, when set, receives the connection's problems: a refused
	// login or archiver name, a lost broker (once per outage). Default:
	// nothing is logged.
	Logger *slog.Logger
	// Archiver, when set, declares this subscriber an archiver of that
	// name to the broker's archive endpoint (the X-Archiver handshake
	// property, broker.ArchiverProperty): it is then served without loss,
	// and what is sent while it is away is kept for it, under that name,
	// for the broker's --archive-grace. Keep it the same across restarts
	// and different between archivers. Default: none, served like a
	// dashboard.
	Archiver string
	// ReconnectInterval and ReconnectIntervalMax pace redialling a lost
	// broker. Defaults 100 ms and 5 s.
	ReconnectInterval, ReconnectIntervalMax time.Duration
}

// ArchiverProperty is the handshake property of Options.Archiver; the
// broker's constant of the same name is the same string.
const ArchiverProperty = "X-Archiver"

// Subscriber reads decoded events from a broker. It is not safe for
// concurrent use: one goroutine calls Next.
//
// Messages are received and decoded by a goroutine of the subscriber's
// own, a few messages ahead of Next: a consumer that writes what it reads
// (the file sink) then decodes on one core while it writes on another.
type Subscriber struct {
	sock  *zmtp.Socket
	opts  Options
	stats Stats

	// The decoding goroutine's side.
	seq      *sequencer
	links    *linker // nil unless the subscriber takes every message
	linkGaps []logbus.LinkGap
	dec      codec.Decoder

	// Slots carry decoded messages from the decoding goroutine (ready) to
	// Next and back (free), so their buffers are reused.
	ready, free chan *slot
	cur         *slot // the slot Next is returning events from
	err         error // the decoding goroutine's last word, once ready is closed
	stop        chan struct{}
	done        chan struct{}
	closeOnce   sync.Once
	closeErr    error

	prefixes [][]byte // the subscriptions made at Dial

	link    LinkPosition // the last message taken by Next: its link position
	hasLink bool
}

// slot is one received message and the events decoded from it.
type slot struct {
	frames zmtp.Msg
	chain  []origin.Origin // read from the message's origin frames, oldest hop first
	msg    codec.Message
	rej    logbus.Rejected
	events []Event
	next   int   // index of the next event Next returns
	delta  Stats // counts of this message; Gaps, Missing, Late, Duplicates are totals
}

// slots bounds how many messages are decoded ahead of Next.
const slots = 4

// Stats counts what a subscriber has seen.
type Stats struct {
	Messages, Records, Samples uint64
	Filtered                   uint64 // records dropped by MinLevel or equipment
	DecodeErrors               uint64
	// Gaps and Missing count the gaps found and the records they miss.
	// Late counts records that arrived after a later one and fill part
	// of a gap already reported (Missing is not corrected: the report
	// stands); Duplicates counts records received before (a publisher
	// resending its newest records after a reconnect), dropped.
	Gaps, Missing, Late, Duplicates uint64
	// Link counters (archivers taking every message; package origin):
	// gaps on the hops after a broker, the messages they miss and the
	// records from unnumbered senders among them; messages received
	// twice on a link and dropped.
	LinkGaps, LinkMessages, LinkUnnumbered, DuplicateMessages uint64
	// Rejected counts the broker's reports of rejected messages
	// (KindRejected events): copies and summaries. UnknownNotices counts
	// broker messages of a kind this subscriber does not know (a topic
	// starting with topic.NoticePrefix), skipped.
	Rejected, UnknownNotices uint64
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
	subs := prefixes
	if !slices.ContainsFunc(prefixes, func(p []byte) bool { return len(p) == 0 }) {
		// The broker's own reports reach every subscriber.
		subs = append(slices.Clip(prefixes), []byte(topic.NoticePrefix))
	}
	// XSUB rather than SUB: the broker filters by our subscriptions, and
	// XSUB does not filter again locally, so after Unsubscribe what is
	// already on its way is still delivered (a SUB would discard it).
	var props map[string]string
	if o.Archiver != "" {
		props = map[string]string{ArchiverProperty: o.Archiver}
	}
	sock, err := zmtp.NewSocket(zmtp.XSUB, &zmtp.Options{
		Properties:           props,
		Logger:               o.Logger,
		RecvHWM:              o.QueueMessages,
		PlainUsername:        o.PlainUsername,
		PlainPassword:        o.PlainPassword,
		ReconnectInterval:    o.ReconnectInterval,
		ReconnectIntervalMax: o.ReconnectIntervalMax,
	})
	if err != nil {
		return nil, fmt.Errorf("subscriber: %w", err)
	}
	for _, p := range subs {
		if err := sock.Subscribe(p); err != nil {
			return nil, errors.Join(fmt.Errorf("subscriber: %w", err), sock.Close())
		}
	}
	if err := sock.Connect(endpoint); err != nil {
		return nil, errors.Join(fmt.Errorf("subscriber: %w", err), sock.Close())
	}
	seq := newSequencer(o.MaxStreams)
	seq.pos.Seed(o.Resume)
	var links *linker
	if len(prefixes) == 1 && len(prefixes[0]) == 0 {
		links = &linker{m: make(map[uint64]LinkPosition)}
		links.seed(o.ResumeLinks)
	}
	s := &Subscriber{sock: sock, opts: o, seq: seq, links: links, prefixes: subs,
		ready: make(chan *slot, slots), free: make(chan *slot, slots),
		stop: make(chan struct{}), done: make(chan struct{})}
	for range slots {
		s.free <- &slot{}
	}
	go s.pump()
	return s, nil
}

// pump receives and decodes messages into free slots until the socket is
// closed. It ends by closing ready, after storing why in s.err.
func (s *Subscriber) pump() {
	defer close(s.done)
	defer close(s.ready)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		var sl *slot
		select {
		case sl = <-s.free:
		case <-s.stop:
			s.err = zmtp.ErrClosed
			return
		}
		if err := s.sock.RecvInto(ctx, &sl.frames); err != nil {
			if ctx.Err() != nil {
				err = zmtp.ErrClosed
			}
			s.err = err
			return
		}
		s.process(sl)
		s.ready <- sl // cannot block: there are as many places as slots
	}
}

// next makes s.cur a slot with an event left. It waits for one until ctx
// ends, or not at all when wait is false (ctx is then unused); it returns
// false when ctx ended, or nothing was ready, first.
func (s *Subscriber) next(ctx context.Context, wait bool) (bool, error) {
	select {
	case <-s.stop:
		return false, zmtp.ErrClosed
	default:
	}
	for s.cur == nil || s.cur.next == len(s.cur.events) {
		if s.cur != nil {
			// Its events were valid until this call: the slot is free.
			s.free <- s.cur
			s.cur = nil
		}
		var sl *slot
		var ok bool
		select {
		case sl, ok = <-s.ready:
		default:
			if !wait {
				return false, nil
			}
			select {
			case sl, ok = <-s.ready:
			case <-ctx.Done():
				return false, ctx.Err()
			}
		}
		if !ok {
			return false, s.err
		}
		s.take(sl)
	}
	return true, nil
}

// take accounts for a slot's message as Next reaches it.
func (s *Subscriber) take(sl *slot) {
	d := &sl.delta
	s.stats.Messages += d.Messages
	s.stats.Records += d.Records
	s.stats.Samples += d.Samples
	s.stats.Filtered += d.Filtered
	s.stats.DecodeErrors += d.DecodeErrors
	s.stats.Rejected += d.Rejected
	s.stats.UnknownNotices += d.UnknownNotices
	s.stats.Gaps, s.stats.Missing, s.stats.Late, s.stats.Duplicates = d.Gaps, d.Missing, d.Late, d.Duplicates
	if n := len(sl.chain); n > 0 {
		// Forward only on one link: a copy of an older message (dropped)
		// does not move it back.
		if o := &sl.chain[n-1]; !s.hasLink || o.Link != s.link.Link || o.Seq > s.link.Seq {
			s.link, s.hasLink = LinkPosition{Link: o.Link, Seq: o.Seq, Unnumbered: o.Unnumbered}, true
		}
	}
	s.stats.LinkGaps, s.stats.LinkMessages, s.stats.LinkUnnumbered, s.stats.DuplicateMessages = d.LinkGaps, d.LinkMessages, d.LinkUnnumbered, d.DuplicateMessages
	s.cur = sl
}

// Next returns the next event, waiting until one arrives or ctx ends.
// After Close it returns zmtp.ErrClosed.
func (s *Subscriber) Next(ctx context.Context) (Event, error) {
	ok, err := s.next(ctx, true)
	if !ok {
		if err == nil {
			err = context.Canceled
		}
		return Event{}, err
	}
	return s.take1(), nil
}

// take1 returns the current slot's next event.
func (s *Subscriber) take1() Event {
	ev := s.cur.events[s.cur.next]
	s.cur.next++
	return ev
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

// process decodes a received message into the slot's events. It runs on
// the decoding goroutine.
func (s *Subscriber) process(sl *slot) {
	sl.events, sl.next = sl.events[:0], 0
	d := &sl.delta
	*d = Stats{Messages: 1}
	if f := sl.frames[0]; len(f) > 0 && f[0] == topic.NoticePrefix[0] {
		sl.chain = sl.chain[:0]
		if len(sl.frames) == 2 && string(f) == topic.Rejected {
			s.rejected(sl)
		} else {
			d.UnknownNotices++ // a later broker's kind: skipped, not an error
			s.totals(d)
		}
		return
	}
	var frames [][]byte
	frames, sl.chain = origin.Split(sl.frames, sl.chain)
	var o *origin.Origin
	if n := len(sl.chain); n > 0 {
		o = &sl.chain[n-1]
		if s.links != nil {
			var ok bool
			if s.linkGaps, ok = s.links.check(sl.chain, len(frames)-1, s.linkGaps[:0]); !ok {
				s.totals(d)
				return // a copy of a message already received
			}
			for _, g := range s.linkGaps {
				sl.events = append(sl.events, Event{Kind: KindLinkGap, LinkGap: g, Origin: o})
			}
		}
	}
	err := s.dec.Decode(frames, &sl.msg)
	t := sl.msg.Topic
	if err != nil {
		d.DecodeErrors++
		sl.events = append(sl.events, Event{Kind: KindDecodeError, Topic: t, Err: err, Origin: o})
	}
	var topicFrame []byte
	if sl.msg.HasTopic {
		topicFrame = sl.frames[0]
	}
	for i := range sl.msg.Records {
		r := &sl.msg.Records[i]
		d.Records++
		if r.System == 0 {
			r.System = t.System // the topic's, when it parsed
		}
		if !s.sequence(sl, topicFrame, &r.Envelope, t) {
			continue
		}
		if s.filtered(r) {
			d.Filtered++
			continue
		}
		sl.events = append(sl.events, Event{Kind: KindRecord, Topic: t, Record: r, Origin: o})
	}
	for i := range sl.msg.Samples {
		sm := &sl.msg.Samples[i]
		d.Samples++
		if sm.System == 0 {
			sm.System = t.System
		}
		if !s.sequence(sl, topicFrame, &sm.Envelope, t) {
			continue
		}
		if len(s.opts.Filter.Equipments) > 0 && !slices.Contains(s.opts.Filter.Equipments, sm.Equipment) {
			d.Filtered++
			continue
		}
		sl.events = append(sl.events, Event{Kind: KindSample, Topic: t, Sample: sm, Origin: o})
	}
	s.totals(d)
}

// rejected decodes a broker's report of rejected messages.
func (s *Subscriber) rejected(sl *slot) {
	d := &sl.delta
	if err := codec.DecodeRejected(sl.frames[1], &sl.rej); err != nil {
		d.DecodeErrors++
		sl.events = append(sl.events, Event{Kind: KindDecodeError, Err: err})
	} else {
		d.Rejected = 1
		sl.events = append(sl.events, Event{Kind: KindRejected, Rejected: &sl.rej})
	}
	s.totals(d)
}

// totals copies the running totals into a message's delta.
func (s *Subscriber) totals(d *Stats) {
	d.Gaps, d.Missing, d.Late, d.Duplicates = s.seq.Gaps, s.seq.Missing, s.seq.Late, s.seq.Duplicates
	if l := s.links; l != nil {
		d.LinkGaps, d.LinkMessages, d.LinkUnnumbered, d.DuplicateMessages = l.Gaps, l.Messages, l.Unnumbered, l.Duplicates
	}
}

// sequence checks a payload's number: it adds a gap event before it when
// numbers were skipped, and returns false for a duplicate, which is
// dropped (counted in Stats.Duplicates).
func (s *Subscriber) sequence(sl *slot, topicFrame []byte, env *logbus.Envelope, t topic.Topic) bool {
	if topicFrame == nil {
		return true
	}
	g, v := s.seq.check(topicFrame, env)
	switch v {
	case afterGap:
		sl.events = append(sl.events, Event{Kind: KindGap, Topic: t, Gap: g})
	case duplicate:
		return false
	}
	return true
}

func (s *Subscriber) filtered(r *logbus.Record) bool {
	if s.opts.MinLevel != nil && r.Level < *s.opts.MinLevel {
		return true
	}
	return len(s.opts.Filter.Equipments) > 0 && !slices.Contains(s.opts.Filter.Equipments, r.Equipment)
}

// Stats returns the subscriber's counters. Call it from the goroutine
// that calls Next.
func (s *Subscriber) Stats() Stats { return s.stats }

// LinkPosition returns where the subscriber stands on the link it reads
// (package origin): the position of the last message Next has reached,
// including messages that gave no event (all their records duplicates,
// or filtered). A consumer that saves it once it has handled the events
// before (the file sink) resumes from it with Options.ResumeLinks. It
// reports false before any message from a broker's archive. Call it from
// the goroutine that calls Next.
func (s *Subscriber) LinkPosition() (LinkPosition, bool) { return s.link, s.hasLink }

// Connected reports whether the subscriber has a connection to the broker
// (its handshake done): a file sink is not ready without one. Safe to
// call from any goroutine.
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

// Close disconnects and waits for the decoding goroutine to end. It is
// idempotent and safe on a nil *Subscriber.
func (s *Subscriber) Close() error {
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() {
		close(s.stop)
		s.closeErr = s.sock.Close()
		<-s.done
	})
	return s.closeErr
}

// Buffered returns how many events of the current message Next has yet
// to return: a caller batching output flushes when it reaches 0.
func (s *Subscriber) Buffered() int {
	if s.cur == nil {
		return 0
	}
	return len(s.cur.events) - s.cur.next
}

// TryNext returns the next event if one is already decoded, without
// waiting: a consumer that batches work uses it to tell when its input
// has gone idle. A message received but still being decoded is not
// waited for.
func (s *Subscriber) TryNext() (Event, bool) {
	if ok, err := s.next(context.Background(), false); !ok || err != nil {
		return Event{}, false
	}
	return s.take1(), true
}
