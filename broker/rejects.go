package broker

import (
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
// summaries are sent without waiting (zmtp TrySend), and copies are
// bounded by a token bucket (RejectCopyRate per second, as many in a
// burst); what is not copied is counted in the next summary's Count
// minus Copies. Per-peer state is bounded by maxRejectPeers episodes;
// beyond them, peers share one episode under the peer name "other".

const (
	// maxRejectPeers bounds the episodes followed at once.
	maxRejectPeers = 1024
	// copyPreview and summaryPreview bound a preview's frames, in bytes
	// before escaping.
	copyPreview    = 4 << 10
	summaryPreview = 256
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
	copies      uint64
	first, last time.Time
	frames      int
	bytes       int
	preview     string // the period's first message
}

type rejects struct {
	b        *Broker
	interval time.Duration
	rate     float64 // copies per second; 0: none

	mu       sync.Mutex
	episodes map[rejectKey]*rejectEpisode
	tokens   float64
	refilled time.Time
	buf      []byte

	copies, unkept, summaries atomic.Uint64
}

func newRejects(b *Broker, interval time.Duration, rate int) *rejects {
	return &rejects{b: b, interval: interval, rate: float64(max(rate, 0)), tokens: float64(max(rate, 0)),
		episodes: make(map[rejectKey]*rejectEpisode)}
}

// reject reports one message the forwarding loop rejected.
func (r *rejects) reject(from *zmtp.PeerInfo, reason string, m zmtp.Msg) {
	now := time.Now()
	key := rejectKey{reason: reason}
	if from != nil {
		key.peer, key.user = from.Remote, from.User
	}
	size := 0
	for _, f := range m {
		size += len(f)
	}
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
			preview := appendPreview(nil, m, summaryPreview)
			r.b.cfg.Logger.Warn("broker rejects messages from a peer (reported once per episode; copies go to the archive, summaries to the fan-out)",
				"peer", key.peer, "user", key.user, "reason", reason, "frames", len(m), "bytes", size,
				"preview", string(preview))
		}
	}
	ep.total++
	if ep.count == 0 {
		ep.first, ep.frames, ep.bytes = now, len(m), size
		ep.preview = string(appendPreview(nil, m, summaryPreview))
	}
	ep.count++
	ep.last = now
	if r.takeToken(now) && r.b.archive != nil {
		rep := logbus.Rejected{Peer: key.peer, User: key.user, Reason: reason, Count: 1, First: now, Last: now,
			Frames: len(m), Bytes: size, Preview: string(appendPreview(nil, m, copyPreview))}
		if r.send(r.b.archive, &rep) {
			ep.copies++
			r.copies.Add(1)
			if ep.total == 1 { // an episode's start reaches dashboards at once
				r.summarize(key, ep)
			}
			return
		}
	}
	r.unkept.Add(1)
	if ep.total == 1 {
		r.summarize(key, ep)
	}
}

// takeToken spends one copy token, refilling the bucket for the time
// passed. Called with mu held.
func (r *rejects) takeToken(now time.Time) bool {
	if r.rate == 0 {
		return false
	}
	if !r.refilled.IsZero() {
		r.tokens = min(r.rate, r.tokens+now.Sub(r.refilled).Seconds()*r.rate)
	}
	r.refilled = now
	if r.tokens < 1 {
		return false
	}
	r.tokens--
	return true
}

// summarize sends ep's summary since its last one to the archive and
// the fan-out, and starts a new period. Called with mu held.
func (r *rejects) summarize(key rejectKey, ep *rejectEpisode) {
	rep := logbus.Rejected{Summary: true, Peer: key.peer, User: key.user, Reason: key.reason, Count: ep.count,
		Copies: ep.copies, First: ep.first, Last: ep.last, Frames: ep.frames, Bytes: ep.bytes, Preview: ep.preview}
	if r.b.archive != nil {
		r.send(r.b.archive, &rep)
	}
	r.send(r.b.fanout, &rep)
	r.summaries.Add(1)
	ep.count, ep.copies = 0, 0
}

// send offers rep to s without waiting. Called with mu held (buf).
func (r *rejects) send(s *zmtp.Socket, rep *logbus.Rejected) bool {
	r.buf = codec.AppendRejected(r.buf[:0], rep)
	return s.TrySend(zmtp.Msg{[]byte(topic.Rejected), r.buf}) == nil
}

// tick sends the summaries due and ends the episodes that went quiet
// (all of them when final).
func (r *rejects) tick(final bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for key, ep := range r.episodes {
		if ep.count > 0 {
			r.summarize(key, ep)
			if !final {
				continue
			}
		}
		r.b.cfg.Logger.Info("rejected messages from a peer: episode over",
			"peer", key.peer, "user", key.user, "reason", key.reason, "messages", ep.total,
			"lasted", ep.last.Sub(ep.start).Round(time.Millisecond))
		delete(r.episodes, key)
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
