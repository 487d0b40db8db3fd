package broker

import (
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/codec"
	"github.com/logbus/logbus/topic"
	"github.com/logbus/logbus/zmtp"
)

// Rejected traffic is reported, never just dropped: a peer whose
// messages the broker cannot forward (pyzmq's PUBHandler on a PUSH
// socket sends [b"INFO", b"text"]) is named in the broker's log once per
// episode, its messages go to archivers as bounded, escaped copies (the
// file sink writes them as REJECTED lines in its central log), and
// archivers and dashboards get a summary per peer and reason every
// RejectReportInterval while it goes on (logbus.Rejected, topic
// topic.Rejected).
//
// None of it can slow the forwarding of good messages: copies and
// summaries are sent without waiting (zmtp TrySend). Copies are bounded
// by a token bucket (RejectCopyRate per second, as many in a burst) and,
// per episode, to that burst and then one per report interval, so a
// sender misconfigured for good writes a few lines a minute, not ten a
// second; what is not copied is counted in the summaries (Count minus
// Copies). An episode is one sender host (its IP: a client that
// reconnects for every message is still one sender), one login and one
// reason; it ends after a report interval without a rejection. The
// summary that opens an episode is sent at once when the summary bucket
// allows (immediateSummaries), else at the next tick. A summary the
// archive cannot take is kept, its counts growing, and tried again at the
// next tick. Per-peer state is bounded by maxRejectPeers episodes;
// beyond them, peers share one episode under the peer name "other".

const (
	// maxRejectPeers bounds the episodes followed at once.
	maxRejectPeers = 1024
	// copyPreview and summaryPreview bound a preview's frames, in bytes
	// before escaping.
	copyPreview    = 4 << 10
	summaryPreview = 256
	// immediateSummaries bounds the summaries sent when an episode starts
	// (per second, and in a burst); the others wait for the next tick.
	immediateSummaries = 2
)

// rejectKey names an episode: one peer, one reason.
type rejectKey struct {
	peer, user, reason string
}

// rejectEpisode is a peer's run of rejected messages for one reason,
// from the first until a report interval passes without one.
type rejectEpisode struct {
	start       time.Time
	total       uint64
	count       uint64 // since the last summary
	copies      uint64 // since the last summary
	copiesTotal uint64
	announced   bool // the opening summary went out
	first, last time.Time
	frames      int
	bytes       int
	preview     string // the period's first message
}

type rejects struct {
	b        *Broker
	interval time.Duration
	rate     float64 // copies per second; 0: none

	mu        sync.Mutex
	episodes  map[rejectKey]*rejectEpisode
	copyTok   bucket
	summaries bucket
	buf       []byte

	copies, unkept, summaryCount atomic.Uint64
}

func newRejects(b *Broker, interval time.Duration, rate int) *rejects {
	r := float64(max(rate, 0))
	return &rejects{b: b, interval: interval, rate: r, episodes: make(map[rejectKey]*rejectEpisode),
		copyTok: bucket{rate: r, tokens: r}, summaries: bucket{rate: immediateSummaries, tokens: immediateSummaries}}
}

// reject reports one message the forwarding loop rejected.
func (r *rejects) reject(from *zmtp.PeerInfo, reason string, m zmtp.Msg) {
	now := time.Now()
	key := rejectKey{reason: reason}
	var remote string
	if from != nil {
		remote, key.user = from.Remote, from.User
		key.peer = remote
		if host, _, err := net.SplitHostPort(remote); err == nil {
			key.peer = host
		}
	}
	size := 0
	for _, f := range m {
		size += len(f)
	}
	var warn []any
	defer func() { // logged outside the lock: a slow log must not hold the forwarding loop
		if warn != nil {
			r.b.cfg.Logger.Warn("broker rejects messages from a peer (reported once per episode; copies go to the archive, summaries to archive and fan-out)", warn...)
		}
	}()
	r.mu.Lock()
	defer r.mu.Unlock()
	ep := r.episodes[key]
	if ep == nil {
		if len(r.episodes) >= maxRejectPeers {
			key.peer, key.user = "other", ""
			ep = r.episodes[key]
		}
		if ep == nil {
			ep = &rejectEpisode{start: now}
			r.episodes[key] = ep
			warn = []any{"peer", remote, "user", key.user, "reason", reason, "frames", len(m), "bytes", size,
				"preview", string(appendPreview(nil, m, summaryPreview))}
		}
	}
	ep.total++
	if ep.count == 0 {
		ep.first, ep.frames, ep.bytes = now, len(m), size
		ep.preview = string(appendPreview(nil, m, summaryPreview))
	}
	ep.count++
	ep.last = now
	// Copies: the bucket allows, and the episode is within its burst or
	// has had none since its last summary.
	copied := false
	if r.b.archive != nil && r.rate > 0 && (ep.copiesTotal < uint64(r.rate) || ep.copies == 0) && r.copyTok.take(now) {
		rep := logbus.Rejected{Peer: remote, User: key.user, Reason: reason, Count: 1, First: now, Last: now,
			Frames: len(m), Bytes: size, Preview: string(appendPreview(nil, m, copyPreview))}
		if r.send(r.b.archive, &rep) {
			copied = true
			ep.copies++
			ep.copiesTotal++
			r.copies.Add(1)
		}
	}
	if !copied {
		r.unkept.Add(1)
	}
	if !ep.announced && r.summaries.take(now) { // an episode's start reaches dashboards at once
		ep.announced = r.summarize(key, ep)
	}
}

// bucket is a token bucket: rate tokens a second, as many at most.
type bucket struct {
	rate, tokens float64
	refilled     time.Time
}

// take spends one token, refilling for the time passed.
func (t *bucket) take(now time.Time) bool {
	if t.rate == 0 {
		return false
	}
	if !t.refilled.IsZero() {
		t.tokens = min(t.rate, t.tokens+now.Sub(t.refilled).Seconds()*t.rate)
	}
	t.refilled = now
	if t.tokens < 1 {
		return false
	}
	t.tokens--
	return true
}

// summarize sends ep's summary since its last one to the archive and
// the fan-out, and starts a new period. When the archive cannot take it
// nothing is sent (the fan-out would count it twice otherwise) and the
// counts stay for the next try; it reports whether it was sent. Called
// with mu held.
func (r *rejects) summarize(key rejectKey, ep *rejectEpisode) bool {
	rep := logbus.Rejected{Summary: true, Peer: key.peer, User: key.user, Reason: key.reason, Count: ep.count,
		Copies: ep.copies, First: ep.first, Last: ep.last, Frames: ep.frames, Bytes: ep.bytes, Preview: ep.preview}
	if r.b.archive != nil && !r.send(r.b.archive, &rep) {
		return false
	}
	r.send(r.b.fanout, &rep)
	r.summaryCount.Add(1)
	ep.count, ep.copies = 0, 0
	return true
}

// send offers rep to s without waiting. Called with mu held (buf).
func (r *rejects) send(s *zmtp.Socket, rep *logbus.Rejected) bool {
	r.buf = codec.AppendRejected(r.buf[:0], rep)
	return s.TrySend(zmtp.Msg{[]byte(topic.Rejected), r.buf}) == nil
}

// tick sends the summaries due and ends the episodes that have been
// quiet for an interval (all of them when final).
func (r *rejects) tick(final bool) {
	type ended struct {
		key  rejectKey
		ep   rejectEpisode
		sent bool
	}
	var over []ended
	now := time.Now()
	r.mu.Lock()
	for key, ep := range r.episodes {
		sent := true
		if ep.count > 0 {
			if sent = r.summarize(key, ep); sent {
				ep.announced = true
			}
		}
		if final || ep.count == 0 && now.Sub(ep.last) >= r.interval {
			over = append(over, ended{key, *ep, sent})
			delete(r.episodes, key)
		}
	}
	r.mu.Unlock()
	for _, e := range over {
		r.b.cfg.Logger.Info("rejected messages from a peer: episode over",
			"peer", e.key.peer, "user", e.key.user, "reason", e.key.reason, "messages", e.ep.total,
			"lasted", e.ep.last.Sub(e.ep.start).Round(time.Millisecond))
		if !e.sent {
			r.b.cfg.Logger.Warn("the last summary of rejected messages could not be archived (the archive was full at the stop)",
				"peer", e.key.peer, "reason", e.key.reason, "messages", e.ep.count)
		}
	}
}

// run ticks until stop is closed, then sends what is due.
func (r *rejects) run(stop <-chan struct{}) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			r.tick(false)
		case <-stop:
			r.tick(true)
			return
		}
	}
}

// appendPreview appends m's frames as Go-quoted strings in brackets,
// cutting them (on a UTF-8 boundary, marked "…+N") once limit bytes of
// frame content are used.
func appendPreview(dst []byte, m zmtp.Msg, limit int) []byte {
	dst = append(dst, '[')
	for i, f := range m {
		if i > 0 {
			dst = append(dst, ' ')
		}
		if limit <= 0 {
			dst = append(dst, "…+"...)
			dst = strconv.AppendInt(dst, int64(len(m)-i), 10)
			dst = append(dst, " frames"...)
			break
		}
		cut := len(f)
		if cut > limit {
			cut = limit
			for back := 0; cut > 0 && back < utf8.UTFMax-1 && !utf8.RuneStart(f[cut]); back++ {
				cut--
			}
		}
		dst = strconv.AppendQuote(dst, string(f[:cut]))
		if cut < len(f) {
			dst = append(dst, "…+"...)
			dst = strconv.AppendInt(dst, int64(len(f)-cut), 10)
		}
		limit -= cut
	}
	return append(dst, ']')
}
