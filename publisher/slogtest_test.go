package publisher

import (
	"log/slog"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/logbus/logbus"
)

// TestSlogtest runs the standard library's handler conformance suite; each
// record goes over a real connection and is decoded again.
func TestSlogtest(t *testing.T) {
	var pl *pull
	slogtest.Run(t, func(t *testing.T) slog.Handler {
		var ep string
		pl, ep = startPull(t, "")
		return newPublisher(t, ep, nil).Handler()
	}, func(t *testing.T) map[string]any {
		r := pl.records(1, 5*time.Second)[0]
		m := map[string]any{slog.LevelKey: slog.Level(r.Level), slog.MessageKey: r.Message}
		if !r.Time.IsZero() {
			m[slog.TimeKey] = r.Time
		}
		for _, a := range r.Attrs {
			m[a.Key] = plain(a.Value)
		}
		return m
	})
}

func plain(v logbus.Value) any {
	if v.Kind() == logbus.KindGroup {
		m := map[string]any{}
		for _, a := range v.Group() {
			m[a.Key] = plain(a.Value)
		}
		return m
	}
	return v.String()
}
