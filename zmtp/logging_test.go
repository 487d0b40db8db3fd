package zmtp

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logbus/logbus/internal/testsupport"
)

// recordingHandler keeps log records for inspection.
type recordingHandler struct {
	mu   sync.Mutex
	msgs []string
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	h.msgs = append(h.msgs, b.String())
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

func (h *recordingHandler) count(substr string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.msgs {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

func TestLoggingOncePerProblem(t *testing.T) {
	h := &recordingHandler{}
	pull := newSock(t, PULL, &Options{Logger: slog.New(h)})
	ep := bindLocal(t, pull)
	c := rawDial(t, ep)
	mustWrite(t, c, []byte("garbage garbage garbage"))
	expectClosed(t, c, nil)
	testsupport.WaitFor(t, 10*time.Second, "rejection logged", func() bool { return h.count("connection refused") == 1 })

	// A connect endpoint with nothing behind it is retried many times but
	// reported once.
	push := newSock(t, PUSH, &Options{Logger: slog.New(h), ReconnectInterval: time.Millisecond, ReconnectIntervalMax: 2 * time.Millisecond, Linger: -1})
	if err := push.Connect(deadEndpoint(t)); err != nil {
		t.Fatal(err)
	}
	testsupport.WaitFor(t, 10*time.Second, "repeated dial failures", func() bool { return push.Stats().DialFailures >= 5 })
	if n := h.count("dial failed"); n != 1 {
		t.Fatalf("dial failure logged %d times", n)
	}
}
