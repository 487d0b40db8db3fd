package publisher

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/logbus/logbus/zmtp"
)

func logTypical(l *slog.Logger, ctx context.Context) {
	l.LogAttrs(ctx, slog.LevelInfo, "stage moved beyond soft limit",
		slog.String("axis", "x"), slog.Float64("target_um", 1250.5), slog.Float64("actual_um", 1251.25),
		slog.Int("retries", 3), slog.Bool("ok", false), slog.String("operator", "alice"),
		slog.Duration("elapsed", 1500*time.Millisecond), slog.Int("limit", 5000))
}

// BenchmarkHandle compares the publishing handler (with a broker
// draining the connection) with slog's JSON handler writing to
// io.Discard, in one run.
func BenchmarkHandle(b *testing.B) {
	b.Run("slog.JSONHandler", func(b *testing.B) {
		l := slog.New(slog.NewJSONHandler(io.Discard, nil))
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			logTypical(l, ctx)
		}
	})
	b.Run("publisher.Handler", func(b *testing.B) {
		sink, err := zmtp.NewSocket(zmtp.PULL, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := sink.Bind("tcp://127.0.0.1:0"); err != nil {
			b.Fatal(err)
		}
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			var m zmtp.Msg
			for sink.RecvInto(context.Background(), &m) == nil {
			}
		}()
		p, err := New(sink.Endpoints()[0], nil)
		if err != nil {
			b.Fatal(err)
		}
		l := slog.New(p.Handler())
		ctx := WithEquipment(context.Background(), "scope-3")
		b.ReportAllocs()
		for b.Loop() {
			logTypical(l, ctx)
		}
		b.StopTimer()
		ctxc, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Close(ctxc); err != nil {
			b.Fatal(err)
		}
		st := p.Stats()
		b.ReportMetric(float64(st.Dropped.Total())/float64(b.N), "dropped/op")
		if err := sink.Close(); err != nil {
			b.Fatal(err)
		}
		<-drained
	})
}

// BenchmarkHandleUnreachable measures Handle's latency while no broker
// listens: the queue fills and records are dropped, and the caller must
// never wait on the network. Reports p50/p99/max in µs.
func BenchmarkHandleUnreachable(b *testing.B) {
	p, err := New("tcp://127.0.0.1:1", &Options{QueueRecords: 1000, Fallback: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := p.Close(ctx); err != nil && !errors.Is(err, ErrDropped) { // dropping is the point
			b.Error(err)
		}
	}()
	l := slog.New(p.Handler())
	ctx := context.Background()
	lat := make([]time.Duration, 0, 1<<20)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		logTypical(l, ctx)
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(t0))
		}
	}
	slices.Sort(lat)
	q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))].Nanoseconds()) / 1e3 }
	b.ReportMetric(q(0.5), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(q(1), "max-µs")
}
