package publisher

import (
	"context"
	"io"
	"log/slog"
	"sync"

	"github.com/logbus/logbus/dialect"
)

// WorkerHandler is the worker half of the relay pattern: a slog.Handler
// that writes one worker line per record, for a subprocess whose stdout
// is reserved for its own protocol and whose parent relays stderr
// (Relay, logbus run):
//
//	{"time":"…","level":"WARN","message":"…","context":{…}}
//
// The record's attributes, and its equipment and run, go in "context"
// (dialect.AppendWorkerLine); Relay lifts them back into the record. Each
// line is written with one Write call, so lines from concurrent
// goroutines never interleave.
type WorkerHandler struct {
	w     io.Writer
	mu    *sync.Mutex
	level slog.Leveler
	b     builder
	buf   *[]byte
}

// NewWorkerHandler returns a WorkerHandler writing to w (usually
// os.Stderr). A nil level means slog.LevelInfo.
func NewWorkerHandler(w io.Writer, level slog.Leveler) *WorkerHandler {
	if level == nil {
		level = slog.LevelInfo
	}
	buf := make([]byte, 0, 1024)
	return &WorkerHandler{w: w, mu: new(sync.Mutex), level: level, buf: &buf}
}

// Enabled reports whether level is at or above the handler's level.
func (h *WorkerHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

// WithAttrs returns a handler whose lines carry attrs.
func (h *WorkerHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := *h
	h2.b = h.b.withAttrs(attrs)
	return &h2
}

// WithGroup returns a handler that nests later attributes under name.
func (h *WorkerHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.b = h.b.withGroup(name)
	return &h2
}

// Handle writes r as one line. The write error, if any, is returned: a
// worker whose stderr is gone has nobody to tell.
func (h *WorkerHandler) Handle(ctx context.Context, r slog.Record) error {
	rec := getRecord()
	defer putRecord(rec)
	h.b.build(ctx, rec, &r, false)
	h.mu.Lock()
	defer h.mu.Unlock()
	b := dialect.AppendWorkerLine((*h.buf)[:0], rec)
	*h.buf = b
	_, err := h.w.Write(b)
	return err
}
