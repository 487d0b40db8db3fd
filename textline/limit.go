package textline

import (
	"fmt"
	"time"

	"github.com/logbus/logbus"
)

// Limiter bounds the notices of one kind per source (a sender's address,
// else a topic) so that a flood of bad input cannot fill a log with them:
// per key at most Burst notices in each Window; past that they are only
// counted, and when the window ends one summary notice says how many were
// not written. A log that rotates by size would otherwise lose everything
// else to the flood. At most MaxKeys keys are followed; the others share
// the key "other". The zero value is not usable: see NewLimiter.
//
// A Limiter is not safe for concurrent use: it belongs to the goroutine
// that writes the notices.
type Limiter struct {
	Burst   int           // notices written per key and window (10)
	Window  time.Duration // 10 s
	MaxKeys int           // 256
	event   string
	keys    map[string]*limitState
}

type limitState struct {
	start      time.Time
	written    int
	suppressed uint64
	first      time.Time // of the suppressed
}

// NewLimiter returns a Limiter for the notices of event (EventDecodeError,
// say) with the defaults.
func NewLimiter(event string) *Limiter {
	return &Limiter{Burst: 10, Window: 10 * time.Second, MaxKeys: 256, event: event, keys: make(map[string]*limitState)}
}

// Allow reports whether a notice for key may be written at now; when it
// may not, it is counted. A summary due for key (its window ended with
// notices suppressed) is returned first, to be written before.
func (l *Limiter) Allow(key string, now time.Time) (ok bool, summary *Notice) {
	st := l.keys[key]
	if st == nil {
		if len(l.keys) >= l.MaxKeys {
			key = "other"
			st = l.keys[key]
		}
		if st == nil {
			st = &limitState{start: now}
			l.keys[key] = st
		}
	}
	if now.Sub(st.start) >= l.Window {
		summary = l.summary(key, st)
		*st = limitState{start: now}
	}
	if st.written < l.Burst {
		st.written++
		return true, summary
	}
	if st.suppressed == 0 {
		st.first = now
	}
	st.suppressed++
	return false, summary
}

// Due returns the summaries of the windows that have ended by now, and
// forgets keys quiet for a whole window.
func (l *Limiter) Due(now time.Time) []Notice {
	var out []Notice
	for key, st := range l.keys {
		if now.Sub(st.start) < l.Window {
			continue
		}
		if n := l.summary(key, st); n != nil {
			out = append(out, *n)
		}
		delete(l.keys, key)
	}
	return out
}

// summary is the notice for what st suppressed, or nil.
func (l *Limiter) summary(key string, st *limitState) *Notice {
	if st.suppressed == 0 {
		return nil
	}
	n := Notice{
		Event: l.event,
		Text: fmt.Sprintf("%s source=%s suppressed=%d first=%s window=%s (more of the same were counted, not written)",
			l.event, appendTextString(nil, key), st.suppressed, st.first.UTC().Format(time.RFC3339Nano), l.Window),
		Attrs: []logbus.Attr{
			{Key: "event", Value: logbus.StringValue("suppressed")},
			{Key: "of", Value: logbus.StringValue(l.event)},
			{Key: "source", Value: logbus.StringValue(key)},
			{Key: "suppressed", Value: logbus.Uint64Value(st.suppressed)},
			{Key: "first", Value: logbus.TimeValue(st.first)},
		},
	}
	return &n
}
