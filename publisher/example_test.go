package publisher_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/publisher"
)

func Example() {
	// Connect to the broker; records queue until it is reachable.
	p, err := publisher.New("tcp://127.0.0.1:5010", &publisher.Options{Host: "lab-7"})
	if err != nil {
		panic(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			panic(err)
		}
	}()

	log := slog.New(p.Handler())
	ctx := publisher.WithRun(publisher.WithEquipment(context.Background(), "scope-3"), logbus.Run{Project: "p-19", ID: "r-42"})
	log.InfoContext(ctx, "stage moved", "x_um", 1250.5)
	p.Sample(ctx, "stage.temperature", 21.4, "degC")
}

func ExampleNewWorkerHandler() {
	// In a worker subprocess whose stdout carries its own protocol:
	// log to stderr as worker lines for the parent to relay. (stdout here
	// only so the example can show the line.)
	h := publisher.NewWorkerHandler(os.Stdout, nil)
	// slog.New(h).Warn("motor hot", ...) stamps the time; a zero time is
	// left out, which keeps this example's output fixed.
	r := slog.NewRecord(time.Time{}, slog.LevelWarn, "motor hot", 0)
	r.AddAttrs(slog.Float64("temp", 71.5), slog.String("equipment", "stage-2"))
	if err := h.Handle(context.Background(), r); err != nil {
		panic(err)
	}
	// Output: {"level":"WARN","message":"motor hot","context":{"temp":71.5,"equipment":"stage-2"}}
}

func ExamplePublisher_Relay() {
	p, err := publisher.New("", nil)
	if err != nil {
		panic(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			panic(err)
		}
	}()
	// In the parent: relay a child's stderr (here a fixed stream).
	stderr := strings.NewReader(`{"level":"ERROR","message":"calibration failed","context":{"axis":"x"}}` + "\n")
	if err := p.Relay(context.Background(), stderr, slog.String("child", "calibrate"), slog.Int("pid", 4242)); err != nil {
		panic(err)
	}
}
