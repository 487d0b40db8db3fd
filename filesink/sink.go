package filesink

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/codec"
	"github.com/logbus/logbus/origin"
	"github.com/logbus/logbus/subscriber"
	"github.com/logbus/logbus/textline"
	"github.com/logbus/logbus/topic"
)

// Source is where the sink reads events: a *subscriber.Subscriber.
type Source interface {
	Next(ctx context.Context) (subscriber.Event, error)
	TryNext() (subscriber.Event, bool)
}

// Sink writes events to files. Run owns it: only Reopen, Stats and
// Handler may be called from other goroutines.
type Sink struct {
	source     atomic.Pointer[Source] // what Run reads, for readiness
	cfg        Config
	root       *root
	recTmpl    *template
	smpTmpl    *template
	json       bool
	fsyncLevel logbus.Level

	// decodeLimit bounds DECODE-ERROR lines per sender (textline.Limiter):
	// a flood of bad payloads under a valid topic must not rotate the
	// central log's other lines away.
	decodeLimit *textline.Limiter

	dests          map[string]*dest
	open           lru
	pending        []*dest
	central        *dest
	centralSamples *dest // samples without equipment: JSON lines, not the text central log

	pendingBytes int
	firstPending time.Time
	added        uint64 // events taken by Run
	scratch      []byte
	line         []byte
	now          func() time.Time

	pos positions

	reopen      atomic.Bool
	backlogWarn bool // central failure reported on stderr, once per episode
	// shed counts what the full backlog made the sink drop, this episode;
	// reported once the central log takes writes again.
	shed struct {
		count       uint64
		first, last time.Time
	}
	closed bool

	c counters
}

// New checks the configuration and opens the root directory.
func New(cfg *Config) (*Sink, error) {
	c := cfg.withDefaults()
	rt, err := parseTemplate(c.PathTemplate)
	if err != nil {
		return nil, err
	}
	st, err := parseTemplate(c.SamplesTemplate)
	if err != nil {
		return nil, err
	}
	if !logbus.ValidName(c.Central) {
		return nil, fmt.Errorf("%w: central log name %q", ErrTemplate, c.Central)
	}
	if !logbus.ValidName(c.CentralSamples) || c.CentralSamples == c.Central {
		return nil, fmt.Errorf("%w: central samples file name %q", ErrTemplate, c.CentralSamples)
	}
	if c.Positions != "-" && (!logbus.ValidName(c.Positions) || c.Positions == c.Central || c.Positions == c.CentralSamples) {
		return nil, fmt.Errorf("%w: positions file name %q", ErrTemplate, c.Positions)
	}
	if c.Format != "text" && c.Format != "json" {
		return nil, fmt.Errorf("%w: %q: want text or json", ErrFormat, c.Format)
	}
	r, err := openRoot(c.Root)
	if err != nil {
		return nil, err
	}
	s := &Sink{decodeLimit: textline.NewLimiter(textline.EventDecodeError),
		cfg: c, root: r, recTmpl: rt, smpTmpl: st, json: c.Format == "json", fsyncLevel: *c.FsyncLevel,
		dests: make(map[string]*dest), now: time.Now,
	}
	s.central = &dest{rel: c.Central}
	s.centralSamples = &dest{rel: c.CentralSamples}
	if limit := fdLimit(); limit > 0 && c.MaxOpen+fdHeadroom > limit {
		// Files beyond the limit would fail to open, and so would the
		// connection to the broker and the HTTP server's: fit under it.
		fit := max(1, limit-fdHeadroom)
		c.Logger.Warn("the open-file limit is below --max-open plus what the sink needs besides: keeping fewer files open",
			"limit", limit, "max_open", c.MaxOpen, "using", fit, "headroom", fdHeadroom)
		s.cfg.MaxOpen = fit
	}
	s.pos.path = positionsPath(c.Root, c.Positions)
	bad, moved, err := s.pos.load()
	if err != nil {
		return nil, errors.Join(err, r.close())
	}
	if moved != "" {
		c.Logger.Warn("positions file is damaged or not a positions file: moved aside, starting without positions (records lost while the sink was down are not reported this time)",
			"path", s.pos.path, "moved_to", moved)
	}
	if bad > 0 {
		c.Logger.Warn("positions file: lines skipped", "path", s.pos.path, "lines", bad)
	}
	return s, nil
}

// Positions returns where each publisher stream stood when an earlier run
// of the sink on the same root last saved them. Pass them as
// subscriber.Options.Resume, so that records lost while the sink was down
// (after a crash) are reported as gaps.
func (s *Sink) Positions() []subscriber.Position { return s.pos.loaded }

// LinkPositions returns where an earlier run stood on the link it read
// (for subscriber.Options.ResumeLinks), or nothing.
func (s *Sink) LinkPositions() []subscriber.LinkPosition {
	if s.pos.linkLoaded.Link == 0 {
		return nil
	}
	return []subscriber.LinkPosition{s.pos.linkLoaded}
}

// savePositions writes the positions file when due (or at once with
// force), but only when nothing waits in memory: the file must not claim
// records that are not in the files.
func (s *Sink) savePositions(force bool) {
	if s.pendingBytes > 0 || len(s.central.buf) > 0 || s.shed.count > 0 {
		return // records only in memory, or shed and not yet reported
	}
	if err := s.pos.save(s.now(), force); err != nil {
		s.c.writeErrors.Add(1)
		if !s.pos.failed {
			s.cfg.Logger.Warn("cannot save positions", "err", err)
		}
		s.pos.failed = true
		return
	}
	s.pos.failed = false
}

// Run writes events from src until ctx ends, then writes what src has
// already received. It returns nil on a graceful stop; Close then syncs
// and closes the files.
func (s *Sink) Run(ctx context.Context, src Source) error {
	if s.closed {
		return errClosed
	}
	s.source.Store(&src)
	whole, _ := src.(buffered)
	links, _ := src.(linkSource)
	if whole == nil {
		links = nil
	}
	for ctx.Err() == nil {
		if s.reopen.Swap(false) {
			s.closeAll()
		}
		// A full disk never stops the reading: the broker and the other
		// archivers must not notice. What the central log cannot take
		// waits in memory up to MaxBacklog, then is shed and counted
		// (toCentral).
		ev, ok := s.tryNext(src)
		if !ok {
			s.flush() // input idle: everything to the files now
			if links != nil && whole.Buffered() == 0 {
				s.pos.setLink(links.LinkPosition())
			}
			s.noteSource(src)
			s.savePositions(false)
			s.housekeeping()
			// While positions wait to be saved, wake up when they are due.
			wctx, cancel := context.WithTimeout(ctx, s.pos.dueIn(s.now(), time.Second))
			var err error
			ev, err = src.Next(wctx)
			cancel()
			if err != nil {
				continue // a quiet second, or ctx ended
			}
		}
		s.Add(ev)
		if links != nil && whole.Buffered() == 0 {
			s.pos.setLink(links.LinkPosition()) // the message's last event: it is added whole
		}
		if s.added%4096 == 0 {
			s.noteSource(src)
		}
		// The clock is read every 64 events: under sustained input that
		// is well within the flush interval, and idle input flushes anyway.
		if s.added++; s.pendingBytes >= maxBatch || s.added%64 == 0 && s.now().Sub(s.firstPending) >= s.cfg.FlushInterval {
			s.flush()
		}
	}
	s.drain(src)
	if links != nil && whole.Buffered() == 0 {
		s.pos.setLink(links.LinkPosition()) // what was read has been added, whole
	}
	s.flush()
	return nil
}

// buffered is what a Source may tell of the message being read: how
// many of its events are still to come (a *subscriber.Subscriber does).
type buffered interface{ Buffered() int }

// linkSource is what a Source may tell of the link it reads (package
// origin): where it stands after the messages taken so far, including
// those that gave no event (a *subscriber.Subscriber does).
type linkSource interface {
	LinkPosition() (subscriber.LinkPosition, bool)
}

// sourceStats is what a Source may tell of its input's sequencing; a
// *subscriber.Subscriber does.
type sourceStats interface{ Stats() subscriber.Stats }

// noteSource copies the source's duplicate and late counts for Stats
// (the source's own counters belong to Run's goroutine).
func (s *Sink) noteSource(src Source) {
	if ss, ok := src.(sourceStats); ok {
		st := ss.Stats()
		s.c.duplicates.Store(st.Duplicates)
		s.c.late.Store(st.Late)
	}
}

// Stopping gracefully: a source that can stop the flow (a subscriber
// unsubscribing from the broker) does, and what is already on its way is
// read until the input has been quiet for drainQuiet (at most drainMax);
// the broker holds back new messages while no archiver is subscribed, so
// a restarted sink misses nothing. Any other source is read for what it
// already holds.
func (s *Sink) drain(src Source) {
	u, ok := src.(interface{ Unsubscribe() error })
	if !ok || u.Unsubscribe() != nil {
		for {
			ev, ok := src.TryNext()
			if !ok {
				return
			}
			s.Add(ev)
			if s.pendingBytes >= maxBatch {
				s.flush()
			}
		}
	}
	deadline := time.Now().Add(drainMax)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), drainQuiet)
		ev, err := src.Next(ctx)
		cancel()
		if err != nil {
			return
		}
		s.Add(ev)
		if s.pendingBytes >= maxBatch {
			s.flush()
		}
	}
}

const (
	drainQuiet = time.Second
	drainMax   = 10 * time.Second
)

// tryNext takes the next event if one is here. Before calling the input
// idle it yields a few times, so that a record arriving a microsecond
// later joins the batch instead of costing a write of its own.
func (s *Sink) tryNext(src Source) (subscriber.Event, bool) {
	for range idleYields {
		if ev, ok := src.TryNext(); ok {
			return ev, true
		}
		if s.pendingBytes == 0 {
			break
		}
		runtime.Gosched()
	}
	return subscriber.Event{}, false
}

const idleYields = 4

// maxBatch bounds the bytes buffered between writes (the flush interval
// usually ends a batch first). Large batches matter when records spread
// over more destinations than MaxOpen: each open then carries several
// records.
const maxBatch = 4 << 20

// Add buffers one event for its destination. Callers outside Run (tests,
// benchmarks) follow it with Flush.
func (s *Sink) Add(ev subscriber.Event) {
	switch ev.Kind {
	case subscriber.KindRecord:
		if ev.Record.Host == "" {
			s.fillHost(&ev.Record.Envelope, &ev.Record.Attrs, ev.Origin)
		}
		if ev.Record.Time.IsZero() {
			s.fillTime(&ev.Record.Envelope, &ev.Record.Attrs, ev.Origin)
		}
		s.addRecord(ev.Topic, ev.Record)
	case subscriber.KindSample:
		if ev.Sample.Host == "" {
			s.fillHost(&ev.Sample.Envelope, &ev.Sample.Attrs, ev.Origin)
		}
		if ev.Sample.Time.IsZero() {
			s.fillTime(&ev.Sample.Envelope, &ev.Sample.Attrs, ev.Origin)
		}
		s.addSample(ev.Topic, ev.Sample)
	case subscriber.KindGap:
		s.c.gaps.Add(1)
		s.c.missing.Add(ev.Gap.Missing)
		s.notice(textline.GapNotice(ev.Gap))
	case subscriber.KindLinkGap:
		s.c.linkGaps.Add(1)
		s.c.linkMessages.Add(ev.LinkGap.Messages)
		s.c.linkUnnumbered.Add(ev.LinkGap.Unnumbered)
		s.notice(textline.LinkGapNotice(ev.LinkGap))
	case subscriber.KindDecodeError:
		s.decodeError(ev)
	case subscriber.KindRejected:
		if ev.Rejected.Summary {
			s.c.rejectedMessages.Add(ev.Rejected.Count)
		} else {
			s.c.rejectedCopies.Add(1)
		}
		s.notice(textline.RejectedNotice(ev.Rejected))
	}
}

// decodeError writes a DECODE-ERROR line, within the limiter's bound per
// sender (its IP, from the archive's origin frame; else per topic).
func (s *Sink) decodeError(ev subscriber.Event) {
	s.c.decodeErrors.Add(1)
	topic := ev.Topic.String()
	var peer string
	key := "topic " + topic
	if ev.Origin != nil && len(ev.Origin.Peer) > 0 {
		peer = string(ev.Origin.Peer)
		key = peer
		if h, _, err := net.SplitHostPort(peer); err == nil {
			key = h
		}
	}
	ok, summary := s.decodeLimit.Allow(key, s.now())
	if summary != nil {
		s.notice(*summary)
	}
	if !ok {
		s.c.decodeSuppressed.Add(1)
		return
	}
	s.notice(textline.DecodeErrorNotice(topic, peer, ev.Err))
}

// UnknownHost names the host of a record that carries none and came
// without archive metadata to tell (see fillHost).
const UnknownHost = "unknown-host"

// fillHost gives a record or sample without a host (logbook's records
// carry none) the best name there is, so that {host} in a path never
// refuses it: the sender's PLAIN login, else its address as the broker
// saw it (the IP, without the port, which changes per connection), else
// UnknownHost. The attribute "logbus.host_from" says which ("login",
// "address", "unknown").
func (s *Sink) fillHost(env *logbus.Envelope, attrs *[]logbus.Attr, o *origin.Origin) {
	host, from := UnknownHost, "unknown"
	switch {
	case o != nil && logbus.ValidName(string(o.User)):
		host, from = string(o.User), "login"
	case o != nil && len(o.Peer) > 0:
		ip := string(o.Peer)
		if h, _, err := net.SplitHostPort(ip); err == nil {
			ip = h
		}
		ip = strings.NewReplacer(":", "-", "%", "-").Replace(ip) // IPv6: a name without colons
		if logbus.ValidName(ip) {
			host, from = ip, "address"
		}
	}
	env.Host = host
	*attrs = append(*attrs, logbus.Attr{Key: "logbus.host_from", Value: logbus.StringValue(from)})
}

// fillTime dates a record or sample sent without a time, so that files
// stay sortable: when the broker read it (archive metadata), else when
// the sink does; the attribute "logbus.time_from" says which
// ("arrival", "sink").
func (s *Sink) fillTime(env *logbus.Envelope, attrs *[]logbus.Attr, o *origin.Origin) {
	from := "sink"
	if o != nil && o.Arrival != 0 {
		env.Time, from = o.Time().UTC(), "arrival"
	} else {
		env.Time = s.now().UTC()
	}
	*attrs = append(*attrs, logbus.Attr{Key: "logbus.time_from", Value: logbus.StringValue(from)})
}

func (s *Sink) addRecord(t topic.Topic, r *logbus.Record) {
	s.pos.note(t, &r.Envelope)
	sync := r.Level >= s.fsyncLevel
	s.line = s.formatRecord(s.line[:0], r)
	if r.Equipment == "" {
		s.toCentral(s.line, sync)
		return
	}
	f := recordFields(t, &r.Envelope, r.Logger)
	d, ref := s.destFor(s.recTmpl, &f)
	if ref != nil {
		s.refused(r, ref, sync)
		return
	}
	s.toDest(d, r, sync)
}

func (s *Sink) addSample(t topic.Topic, sm *logbus.Sample) {
	s.pos.note(t, &sm.Envelope)
	s.line = append(codec.AppendSampleJSON(s.line[:0], sm), '\n')
	if sm.Equipment == "" {
		s.toCentralSamples(s.line)
		return
	}
	f := recordFields(t, &sm.Envelope, "")
	d, ref := s.destFor(s.smpTmpl, &f)
	if ref != nil {
		s.c.refused.Add(1)
		s.line = append(codec.AppendSampleJSON(s.line[:0], sm), '\n')
		s.notice(textline.RefusedNotice("sample", ref))
		s.toCentralSamples(s.line)
		return
	}
	if d.mayFail() && d.failing(s.now()) {
		s.notice(textline.DestinationFailingNotice(d.rel, d.lastErr))
		s.toCentralSamples(s.line)
		return
	}
	s.enqueue(d, s.line, false)
}

func (s *Sink) toDest(d *dest, r *logbus.Record, sync bool) {
	if d.mayFail() && d.failing(s.now()) {
		rr := *r
		rr.Attrs = append(rr.Attrs[:len(rr.Attrs):len(rr.Attrs)], logbus.Attr{Key: "logbus.destination_error",
			Value: logbus.StringValue(fmt.Sprintf("%s: %v", d.rel, d.lastErr))})
		s.line = s.formatRecord(s.line[:0], &rr)
		if s.toCentral(s.line, sync) {
			s.c.rerouted.Add(1)
		}
		return
	}
	s.enqueue(d, s.line, sync)
}

// refused sends a record whose path was refused to the central log, the
// reason and the offending value (escaped) attached.
func (s *Sink) refused(r *logbus.Record, ref *refusal, sync bool) {
	s.c.refused.Add(1)
	rr := *r
	rr.Attrs = append(rr.Attrs[:len(rr.Attrs):len(rr.Attrs)], logbus.Attr{Key: "logbus.refused",
		Value: logbus.StringValue(fmt.Sprintf("{%s}=%s", ref.variable, strconv.QuoteToASCII(ref.value)))})
	s.line = s.formatRecord(s.line[:0], &rr)
	s.toCentral(s.line, sync)
}

func (s *Sink) formatRecord(dst []byte, r *logbus.Record) []byte {
	if s.json {
		return append(codec.AppendRecordJSON(dst, r), '\n')
	}
	return textline.AppendRecord(dst, r)
}

// notice writes one line of the sink's own to the central log.
func (s *Sink) notice(n textline.Notice) {
	s.toCentral(s.formatNotice(s.now(), &n), false)
}

// formatNotice renders n in the sink's format (a new slice: the central
// log keeps it).
func (s *Sink) formatNotice(t time.Time, n *textline.Notice) []byte {
	if s.json {
		r := n.Record("logbus.filesink", t)
		return append(codec.AppendRecordJSON(nil, &r), '\n')
	}
	return textline.AppendNotice(nil, t, n)
}

// toCentralSamples queues a sample line for the central samples file;
// while that file is failing, the line goes to the central log.
func (s *Sink) toCentralSamples(line []byte) {
	if d := s.centralSamples; d.mayFail() && d.failing(s.now()) {
		s.toCentral(line, false)
		return
	}
	s.enqueue(s.centralSamples, line, false)
}

// toCentral queues a line for the central log and reports whether it was
// taken (not shed).
func (s *Sink) toCentral(line []byte, sync bool) bool {
	if !s.centralRoom(len(line)) {
		return false
	}
	s.c.central.Add(1)
	s.enqueue(s.central, line, sync)
	return true
}

// addCentral is toCentral during a flush (records of a destination that
// failed): the line joins the central buffer, which the flush writes
// next.
func (s *Sink) addCentral(line []byte, sync bool) bool {
	if !s.centralRoom(len(line)) {
		return false
	}
	s.c.central.Add(1)
	s.central.add(line, sync)
	return true
}

// centralRoom reports whether a line of n bytes may wait for the central
// log. While the central log is failing and its backlog is at
// MaxBacklog, it may not: the line is shed, counted, and reported in a
// DROPPED notice once the central log is writable.
func (s *Sink) centralRoom(n int) bool {
	if s.central.lastErr == nil || len(s.central.buf)+n <= s.cfg.MaxBacklog {
		return true
	}
	s.c.shed.Add(1)
	s.shed.count++
	s.shed.last = s.now()
	if s.shed.count == 1 {
		s.shed.first = s.shed.last
	}
	return false
}

func (s *Sink) enqueue(d *dest, line []byte, sync bool) {
	if s.pendingBytes == 0 {
		s.firstPending = s.now()
	}
	d.add(line, sync)
	s.pendingBytes += len(line)
	if !d.pending {
		d.pending = true
		s.pending = append(s.pending, d)
	}
}

// destFor renders a path and returns its destination.
func (s *Sink) destFor(t *template, f *fields) (*dest, *refusal) {
	var err error
	s.scratch, err = t.render(s.scratch[:0], f)
	if err != nil {
		var ref *refusal
		if errors.As(err, &ref) {
			return nil, ref
		}
		return nil, &refusal{variable: "path", value: string(s.scratch)}
	}
	if d, ok := s.dests[string(s.scratch)]; ok { // no allocation on a hit
		return d, nil
	}
	if s.reserved(string(s.scratch)) {
		return nil, &refusal{variable: "path", value: string(s.scratch)}
	}
	d := &dest{rel: string(s.scratch)}
	s.dests[d.rel] = d
	s.forgetIdle()
	return d, nil
}

// reserved reports whether rel is one of the sink's own files: the
// central log, its rotated copies and the positions file (and its
// temporary name), which no template may write into.
func (s *Sink) reserved(rel string) bool {
	if rel == s.cfg.Central || rel == s.cfg.CentralSamples || rel == s.cfg.Positions || rel == s.cfg.Positions+".tmp" {
		return true
	}
	if n, ok := strings.CutPrefix(rel, s.cfg.Central+"."); ok {
		if _, err := strconv.Atoi(n); err == nil {
			return true
		}
	}
	return false
}

// forgetIdle bounds the destination table: entries without an open file,
// buffered data or a failure are dropped once it is large.
func (s *Sink) forgetIdle() {
	if len(s.dests) < 64*s.cfg.MaxOpen {
		return
	}
	for k, d := range s.dests {
		if d.f == nil && !d.pending && d.lastErr == nil {
			delete(s.dests, k)
		}
	}
}

// Flush writes everything buffered, syncs what needs it and saves the
// positions.
func (s *Sink) Flush() {
	s.flush()
	s.savePositions(true)
}

func (s *Sink) flush() {
	now := s.now()
	backlog := len(s.central.buf) > 0 && !s.central.failing(now)
	if s.pendingBytes == 0 && !backlog {
		return
	}
	// Destinations first: a failing one reroutes its records to central.
	for _, d := range s.pending {
		if d != s.central {
			s.write(d, now)
		}
	}
	// The central log only when it is not in its back-off: a full disk
	// is tried again after it, not at every batch (each try copied the
	// whole backlog).
	if !s.central.failing(now) {
		s.queueDropped(now)
		s.write(s.central, now)
		if s.shed.count > 0 && len(s.central.buf) == 0 {
			// The backlog is written: now there is room for the notice.
			s.queueDropped(now)
			s.write(s.central, now)
		}
	}
	s.c.openFiles.Store(int64(s.open.n))
	s.c.backlog.Store(int64(len(s.central.buf)))
	s.pending = s.pending[:0]
	s.pendingBytes = 0
	if len(s.central.buf) > 0 {
		s.pending = append(s.pending, s.central)
		s.central.pending = true
	} else {
		s.central.pending = false
	}
	s.savePositions(false)
}

// write sends d's buffer in one write and syncs it if needed; on failure
// the records not on disk go to the central log (or, for central itself,
// stay buffered up to MaxBacklog).
func (s *Sink) write(d *dest, now time.Time) {
	if len(d.buf) == 0 {
		d.pending = false
		return
	}
	if d != s.central {
		d.pending = false
	}
	err := s.ensureOpen(d, now)
	n := 0
	if err == nil && d.torn {
		// The end of the file is a fragment of a record: start a fresh
		// line rather than append to it (unless the name now holds a new,
		// empty file: rotated).
		if size, serr := d.f.Size(); serr == nil && size == 0 {
			d.torn = false
		} else if _, err = d.f.Write([]byte{'\n'}); err == nil {
			d.torn = false
		}
	}
	if err == nil {
		n, err = s.writeOnce(d)
	}
	if err == nil && d != s.central {
		// A file deleted while open (rm, a cleanup script) takes writes
		// that no directory shows: found after each write, and written
		// again to the file recreated under its name.
		if gone, gerr := d.f.Unlinked(); gerr == nil && gone {
			s.c.reopened.Add(1)
			s.cfg.Logger.Warn("file deleted while written: recreated, its last records written again", "path", d.rel, "records", len(d.ends))
			s.closeFile(d)
			n = 0 // nothing of this batch is in a file any more
			if err = s.ensureOpen(d, now); err == nil {
				n, err = s.writeOnce(d)
			}
		}
	}
	if err == nil {
		s.c.records.Add(uint64(len(d.ends)))
		if d.lastErr != nil && d != s.central {
			s.c.failing.Add(-1)
		}
		d.healthy()
		d.reset()
		if d == s.central && s.backlogWarn {
			s.backlogWarn = false
			s.cfg.Logger.Warn("central log writable again")
		}
		if d == s.central && s.central.f != nil {
			s.rotateCentral()
		}
		return
	}
	s.c.writeErrors.Add(1)
	if d.lastErr == nil && d != s.central {
		s.c.failing.Add(1)
	}
	d.fail(now, err)
	// Records fully written before the error are on disk; the rest move.
	first := 0
	for first < len(d.ends) && d.ends[first] <= n {
		first++
	}
	start := 0
	if first > 0 {
		start = d.ends[first-1]
	}
	if n > start {
		s.untear(d, n-start)
	}
	s.closeFile(d)
	if d == s.central {
		// Keep the unwritten records, whole, for the next attempt.
		rest := append([]byte(nil), d.buf[start:]...)
		ends := make([]int, 0, len(d.ends)-first)
		for _, e := range d.ends[first:] {
			ends = append(ends, e-start)
		}
		d.buf, d.ends = rest, ends
		d.pending = true
		if !s.backlogWarn {
			s.backlogWarn = true
			s.cfg.Logger.Error("central log not writable: records wait in memory", "err", err, "backlog_bytes", len(d.buf))
		}
		return
	}
	s.cfg.Logger.Warn("destination failing: records go to the central log", "path", d.rel, "err", err, "retry_in", d.backoff)
	note := textline.DestinationErrorNotice(d.rel, len(d.ends)-first, err)
	s.addCentral(s.formatNotice(now, &note), false)
	for _, end := range d.ends[first:] {
		if s.addCentral(d.buf[start:end], d.sync) {
			s.c.rerouted.Add(1)
		}
		start = end
	}
	s.central.pending = true
	d.reset()
}

// queueDropped queues the DROPPED notice for what the full backlog made
// the sink drop so far, once there is room for it within MaxBacklog;
// drops after it get the next.
func (s *Sink) queueDropped(now time.Time) {
	if s.shed.count == 0 {
		return
	}
	n := textline.DroppedNotice(s.shed.count, "central log not writable, backlog full", s.shed.first, s.shed.last)
	if line := s.formatNotice(now, &n); len(s.central.buf)+len(line) <= s.cfg.MaxBacklog {
		s.central.add(line, true)
		s.c.central.Add(1)
		s.shed.count = 0
	}
}

// writeOnce writes d's buffer and syncs it if needed.
func (s *Sink) writeOnce(d *dest) (int, error) {
	n, err := d.f.Write(d.buf)
	s.c.writes.Add(1)
	s.c.bytes.Add(uint64(n))
	if err == nil && d.sync {
		err = d.f.Sync()
		s.c.fsyncs.Add(1)
	}
	return n, err
}

// untear cuts off the partial record a failed write left at the end of
// d's file (a full disk stops a write mid-record), so that no file holds
// a torn line; when that fails too, the next write to it starts on a
// fresh line.
func (s *Sink) untear(d *dest, partial int) {
	size, err := d.f.Size()
	var off int64
	if err == nil {
		off, err = d.f.Offset()
	}
	// Only when the fragment is the file's end: another writer may have
	// appended after it.
	ok := err == nil && off == size && size >= int64(partial)
	if ok {
		err = d.f.Truncate(size - int64(partial))
	}
	if !ok || err != nil {
		d.torn = true
		s.cfg.Logger.Warn("a partial record is left at the end of a file: the next write starts a fresh line", "path", d.rel, "bytes", partial, "err", err)
	}
}

// ensureOpen opens d's file, closing the least recently used when at
// MaxOpen, and reopens it when its path no longer names it (logrotate).
func (s *Sink) ensureOpen(d *dest, now time.Time) error {
	if d.f != nil && now.Sub(d.checkedAt) >= time.Second {
		d.checkedAt = now
		if !s.root.sameFile(d.rel, d.f) {
			s.c.reopened.Add(1)
			s.closeFile(d)
		}
	}
	if d.f != nil {
		s.open.touch(d)
		d.lastUse = now
		return nil
	}
	for s.open.n >= s.cfg.MaxOpen && s.open.tail != nil {
		s.closeFile(s.open.tail)
		s.c.evicted.Add(1)
	}
	f, created, err := s.root.openAppend(d.rel)
	for err != nil && outOfDescriptors(err) && s.evictOne(d) {
		// Out of descriptors (the limit was shared, or lowered): give
		// back the least recently used file and try again.
		f, created, err = s.root.openAppend(d.rel)
	}
	if err != nil {
		return err
	}
	if created {
		s.c.created.Add(1)
	}
	d.f, d.lastUse, d.checkedAt = f, now, now
	s.open.pushFront(d)
	s.c.opens.Add(1)
	return nil
}

// fdHeadroom is the descriptors a sink needs besides its destination
// files: the broker connection, the HTTP server and its clients, the
// central log, the positions file, the root and the runtime's own.
const fdHeadroom = 64

// evictOne closes the least recently used open file other than keep and
// the central log; it reports false when there is none.
func (s *Sink) evictOne(keep *dest) bool {
	for d := s.open.tail; d != nil; d = d.prev {
		if d != keep && d != s.central {
			s.closeFile(d)
			s.c.evicted.Add(1)
			return true
		}
	}
	return false
}

func (s *Sink) closeFile(d *dest) {
	if d.f == nil {
		return
	}
	s.open.remove(d)
	if err := d.f.Close(); err != nil {
		s.c.writeErrors.Add(1)
		s.cfg.Logger.Warn("close", "path", d.rel, "err", err)
	}
	d.f = nil
}

// housekeeping closes idle files.
func (s *Sink) housekeeping() {
	now := s.now()
	for _, n := range s.decodeLimit.Due(now) {
		s.notice(n)
	}
	for d := s.open.tail; d != nil; {
		prev := d.prev
		if now.Sub(d.lastUse) >= s.cfg.IdleClose && d != s.central {
			s.closeFile(d)
		}
		d = prev
	}
}

// Reopen makes the sink close every file and open it again before the
// next write: the SIGHUP of logrotate's postrotate. Safe from any
// goroutine.
func (s *Sink) Reopen() { s.reopen.Store(true) }

func (s *Sink) closeAll() {
	for s.open.head != nil {
		s.closeFile(s.open.head)
	}
}

// Close writes and syncs what is buffered and closes every file. Call it
// after Run has returned. It is idempotent and safe on a nil *Sink.
func (s *Sink) Close() error {
	if s == nil || s.closed {
		return nil
	}
	for _, d := range s.pending {
		d.sync = true // a stop makes everything durable
	}
	s.central.failUntil = time.Time{} // a last try, back-off or not
	for _, n := range s.decodeLimit.Due(s.now().Add(s.decodeLimit.Window)) {
		s.notice(n) // what was suppressed is said before the stop
	}
	s.flush()
	s.savePositions(true)
	var errs []error
	for d := s.open.head; d != nil; d = d.next {
		if err := d.f.Sync(); err != nil {
			errs = append(errs, err)
		}
	}
	s.closeAll()
	if n := len(s.central.buf); n > 0 {
		errs = append(errs, fmt.Errorf("filesink: %d bytes of records could not be written to the central log: %w", n, s.central.lastErr))
	}
	errs = append(errs, s.pos.close(), s.root.close())
	s.closed = true
	return errors.Join(errs...)
}

// rotateCentral renames central.log to central.log.1 (and so on, keeping
// CentralBackups) once it is larger than CentralMaxBytes. Rotation is
// written here rather than borrowed: the central log must open through
// the same symlink-safe root, append with O_APPEND and be fsynced by
// severity like every other file.
func (s *Sink) rotateCentral() {
	size, err := s.central.f.Size()
	if err != nil || size < s.cfg.CentralMaxBytes {
		return
	}
	s.closeFile(s.central)
	base := filepath.Join(s.cfg.Root, s.cfg.Central)
	for i := s.cfg.CentralBackups - 1; i >= 1; i-- {
		from := base + "." + strconv.Itoa(i)
		if err := os.Rename(from, base+"."+strconv.Itoa(i+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.cfg.Logger.Warn("rotate central log", "err", err)
		}
	}
	if err := os.Rename(base, base+".1"); err != nil {
		s.cfg.Logger.Warn("rotate central log", "err", err)
		return
	}
	s.c.rotations.Add(1)
}
