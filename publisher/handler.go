package publisher

import (
	"context"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/logbus/logbus"
)

// Compile-time checks: both handlers are slog handlers.
var (
	_ slog.Handler = (*Handler)(nil)
	_ slog.Handler = (*WorkerHandler)(nil)
)

// LevelCritical is the level beyond slog's ERROR for failures that stop
// an instrument or a run.
const LevelCritical = slog.Level(logbus.LevelCritical)

// BlockMode says when Handle may wait for room in a full queue.
type BlockMode int

const (
	// BlockNever drops the record when the queue is full (counted and
	// reported). Handle never waits: the default.
	BlockNever BlockMode = iota
	// BlockErrors waits up to BlockTimeout for records at ERROR and above,
	// and drops others.
	BlockErrors
	// BlockAlways waits until there is room or the record's context ends.
	BlockAlways
)

// HandlerOptions configure a Handler. A nil *HandlerOptions means the
// defaults.
type HandlerOptions struct {
	// Level is the minimum level handled. Default slog.LevelInfo.
	Level slog.Leveler
	// AddSource records the file, line and function of the log call.
	AddSource bool
	// Block says when Handle may wait for queue room. Default BlockNever.
	Block BlockMode
	// BlockTimeout bounds the wait of BlockErrors. Default 100 ms.
	BlockTimeout time.Duration
	// Logger names the logger in every record (Python's logger name).
	// Default empty.
	Logger string
}

// Handler is a slog.Handler that publishes records. Attributes named
// equipment (or equipment_id), project_short_id, run_kind and run_id at
// the top level fill the record's own fields, as do the context's
// equipment and run (see WithEquipment and WithRun).
type Handler struct {
	p    *Publisher
	opts HandlerOptions
	b    builder
}

// builder turns slog records into logbus records; WithAttrs and WithGroup
// do their conversion once, into the template.
type builder struct {
	tmpl   logbus.Record // envelope and attributes from WithAttrs
	groups []openGroup   // from WithGroup, outermost first
}

type openGroup struct {
	name  string
	attrs []logbus.Attr
}

// NewHandler returns a handler publishing through p.
func NewHandler(p *Publisher, opts *HandlerOptions) *Handler {
	h := &Handler{p: p}
	if opts != nil {
		h.opts = *opts
	}
	if h.opts.Level == nil {
		h.opts.Level = slog.LevelInfo
	}
	if h.opts.BlockTimeout <= 0 {
		h.opts.BlockTimeout = 100 * time.Millisecond
	}
	h.b.tmpl.Logger = h.opts.Logger
	return h
}

// Handler returns a slog.Handler for p with default options.
func (p *Publisher) Handler() *Handler { return NewHandler(p, nil) }

// Enabled reports whether level is at or above the handler's level.
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.opts.Level.Level()
}

// WithAttrs returns a handler whose records carry attrs, converted once
// here rather than on every record.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := *h
	h2.b = h.b.withAttrs(attrs)
	return &h2
}

// WithGroup returns a handler that nests later attributes under name.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.b = h.b.withGroup(name)
	return &h2
}

func (b builder) clone() builder {
	b.tmpl.Attrs = slices.Clip(b.tmpl.Attrs)
	b.groups = slices.Clone(b.groups)
	return b
}

func (b builder) withAttrs(attrs []slog.Attr) builder {
	b = b.clone()
	if len(b.groups) == 0 {
		for _, a := range attrs {
			addSlogAttr(&b.tmpl, a)
		}
		return b
	}
	g := &b.groups[len(b.groups)-1]
	g.attrs = slices.Clip(g.attrs)
	for _, a := range attrs {
		g.attrs = appendSlogAttr(g.attrs, a)
	}
	return b
}

func (b builder) withGroup(name string) builder {
	b = b.clone()
	b.groups = append(b.groups, openGroup{name: name})
	return b
}

// build fills rec (already reset) from r, the template and ctx's run.
func (b *builder) build(ctx context.Context, rec *logbus.Record, r *slog.Record, addSource bool) {
	rec.Envelope = b.tmpl.Envelope
	rec.Logger = b.tmpl.Logger
	rec.Time = r.Time
	rec.Level = logbus.Level(r.Level)
	rec.Message = r.Message
	rec.Attrs = append(rec.Attrs, b.tmpl.Attrs...)
	if len(b.groups) == 0 {
		r.Attrs(func(a slog.Attr) bool {
			addSlogAttr(rec, a)
			return true
		})
	} else {
		b.nest(rec, r)
	}
	applyRun(ctx, &rec.Envelope)
	if addSource && r.PC != 0 {
		f, _ := runtime.CallersFrames([]uintptr{r.PC}).Next()
		rec.Source = logbus.Source{File: f.File, Line: int64(f.Line), Function: f.Function}
	}
}

var recordPool = sync.Pool{New: func() any { return &logbus.Record{Attrs: make([]logbus.Attr, 0, 16)} }}

// Handle publishes r. It does not wait for the network, and by default
// not for queue room either (see BlockMode); a record that cannot be
// queued is counted and later reported, never returned as an error.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	rec := getRecord()
	h.b.build(ctx, rec, &r, h.opts.AddSource)
	var wait time.Duration
	switch {
	case h.opts.Block == BlockAlways:
		wait = -1
	case h.opts.Block == BlockErrors && r.Level >= slog.LevelError:
		wait = h.opts.BlockTimeout
	}
	h.p.submit(ctx, (*recordPayload)(rec), wait)
	putRecord(rec)
	return nil
}

func getRecord() *logbus.Record {
	rec := recordPool.Get().(*logbus.Record)
	rec.Reset()
	return rec
}

func putRecord(rec *logbus.Record) {
	if cap(rec.Attrs) <= 256 {
		recordPool.Put(rec)
	}
}

// nest places the record's attributes inside the open groups, skipping
// groups that end up empty as slog requires.
func (b *builder) nest(rec *logbus.Record, r *slog.Record) {
	var inner []logbus.Attr
	r.Attrs(func(a slog.Attr) bool {
		inner = appendSlogAttr(inner, a)
		return true
	})
	for i := len(b.groups) - 1; i >= 0; i-- {
		g := b.groups[i]
		if len(g.attrs) == 0 && len(inner) == 0 {
			continue
		}
		members := make([]logbus.Attr, 0, len(g.attrs)+len(inner))
		members = append(append(members, g.attrs...), inner...)
		inner = []logbus.Attr{{Key: g.name, Value: logbus.GroupValue(members...)}}
	}
	rec.Attrs = append(rec.Attrs, inner...)
}
