package publisher

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/logbus/logbus/codec"
)

// FrameHandler is the worker half of the relay pattern: a slog.Handler
// that writes one JSON frame per line, for a subprocess whose stdout is
// reserved for its own protocol and whose parent relays stderr:
//
//	{"time":"…","level":"WARN","message":"…","context":{…}}
//
// The record's attributes, and its equipment and run context, go in
// "context"; Relay lifts them back into the record. Each frame is written
// with one Write call, so frames from concurrent goroutines never
// interleave.
type FrameHandler struct {
	w     io.Writer
	mu    *sync.Mutex
	level slog.Leveler
	b     builder
	buf   *[]byte
}

// NewFrameHandler returns a FrameHandler writing to w (usually
// os.Stderr). A nil level means slog.LevelInfo.
func NewFrameHandler(w io.Writer, level slog.Leveler) *FrameHandler {
	if level == nil {
		level = slog.LevelInfo
	}
	buf := make([]byte, 0, 1024)
	return &FrameHandler{w: w, mu: new(sync.Mutex), level: level, buf: &buf}
}

// Enabled reports whether level is at or above the handler's level.
func (h *FrameHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

// WithAttrs returns a handler whose frames carry attrs.
func (h *FrameHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := *h
	h2.b = h.b.withAttrs(attrs)
	return &h2
}

// WithGroup returns a handler that nests later attributes under name.
func (h *FrameHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.b = h.b.withGroup(name)
	return &h2
}

// Handle writes r as one line. The write error, if any, is returned: a
// worker whose stderr is gone has nobody to tell.
func (h *FrameHandler) Handle(ctx context.Context, r slog.Record) error {
	rec := getRecord()
	defer putRecord(rec)
	h.b.build(ctx, rec, &r, false)
	h.mu.Lock()
	defer h.mu.Unlock()
	b := appendFrame((*h.buf)[:0], rec)
	*h.buf = b
	_, err := h.w.Write(b)
	return err
}

// appendFrame writes rec as a frame line; envelope fields travel in the
// context under the names Relay (and Python programs) use.
func appendFrame(b []byte, rec *codec.Record) []byte {
	b = append(b, '{')
	if !rec.Time.IsZero() {
		b = append(b, `"time":"`...)
		b = rec.Time.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, `",`...)
	}
	b = append(b, `"level":"`...)
	b = append(b, rec.Level.String()...)
	b = append(b, `","message":`...)
	b = codec.AppendValueJSON(b, codec.StringValue(rec.Message))
	if rec.Logger != "" {
		b = append(b, `,"logger":`...)
		b = codec.AppendValueJSON(b, codec.StringValue(rec.Logger))
	}
	ctxAttrs := rec.Attrs
	for _, f := range []struct{ k, v string }{
		{"equipment", rec.Equipment}, {"project_short_id", rec.Run.Project},
		{"run_kind", rec.Run.Kind}, {"run_id", rec.Run.ID},
	} {
		if f.v != "" {
			ctxAttrs = append(ctxAttrs, codec.Attr{Key: f.k, Value: codec.StringValue(f.v)})
		}
	}
	if len(ctxAttrs) > 0 {
		b = append(b, `,"context":`...)
		b = codec.AppendValueJSON(b, codec.GroupValue(ctxAttrs...))
	}
	return append(b, '}', '\n')
}
