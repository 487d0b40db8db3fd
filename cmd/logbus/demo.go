package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/cmd/internal/cli"

	"github.com/logbus/logbus/publisher"
)

// instrument is one simulated lab machine of the demo.
type instrument struct {
	equipment, host, project string
	unit, sample             string
	base                     float64
}

var demoInstruments = []instrument{
	{"scope-3", "lab-7", "p-19", "V", "scope.trigger_level", 0.25},
	{"stage-2", "lab-7", "p-19", "um", "stage.position", 1250},
	{"cryo-1", "lab-9", "p-23", "K", "cryo.temperature", 4.2},
	{"laser-5", "lab-9", "p-23", "mW", "laser.power", 35},
}

// runDemo publishes from every instrument, each with its own publisher
// (as separate programs would), until ctx ends.
func runDemo(ctx context.Context, ingest string, log *slog.Logger) {
	var wg sync.WaitGroup
	for i, in := range demoInstruments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := in.run(ctx, ingest, int64(i)); err != nil {
				log.Warn("demo instrument", "equipment", in.equipment, "err", err)
			}
		}()
	}
	wg.Wait()
}

func (in instrument) run(ctx context.Context, ingest string, seed int64) error {
	p, err := publisher.New(ingest, &publisher.Options{Host: in.host})
	if err != nil {
		return err
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := p.Close(c); err != nil {
			slog.Default().Warn("demo instrument close", "err", err)
		}
	}()
	rng := rand.New(rand.NewPCG(uint64(seed), 42))
	run := logbus.Run{Project: in.project, Kind: "demo", ID: fmt.Sprintf("run-%d", 1000+seed)}
	rctx := publisher.WithRun(publisher.WithEquipment(context.Background(), in.equipment), run)
	log := slog.New(p.Handler()).With("operator", "demo")
	tick := time.NewTicker(time.Duration(300+rng.IntN(400)) * time.Millisecond)
	defer tick.Stop()
	log.InfoContext(rctx, "instrument ready", "firmware", "2.4.1")
	for step := 0; ; step++ {
		select {
		case <-ctx.Done():
			log.InfoContext(rctx, "instrument shutting down", "steps", step)
			return nil
		case <-tick.C:
		}
		v := in.base * (1 + 0.02*math.Sin(float64(step)/5) + 0.005*rng.NormFloat64())
		p.Sample(rctx, in.sample, v, in.unit)
		switch r := rng.IntN(20); {
		case r == 0:
			err := errors.New("device did not answer within 500ms")
			log.ErrorContext(rctx, "read failed", "attempt", 1+rng.IntN(3), "err", err)
		case r == 1:
			log.WarnContext(rctx, "reading drifts", "value", v, "limit", in.base*1.015)
		case r == 2:
			// A record with a traceback, as a Python program logging an
			// exception sends it.
			p.Publish(&logbus.Record{
				Envelope: logbus.Envelope{Time: time.Now(), Equipment: in.equipment, Run: run},
				Level:    logbus.LevelError, Logger: "calibrate", Message: "calibration step crashed",
				Error: "Traceback (most recent call last):\n  File \"calibrate.py\", line 42, in step\n    fit(points)\nValueError: singular matrix",
				Attrs: []logbus.Attr{{Key: "step", Value: logbus.IntValue(int64(step))}},
			})
		default:
			log.InfoContext(rctx, "measured", "value", v, "unit", in.unit, "step", step)
		}
	}
}

// demoFlagSet is `logbus demo`'s flag set.
func demoFlagSet() *pflag.FlagSet {
	fs := pflag.NewFlagSet("logbus demo", pflag.ContinueOnError)
	fs.String("endpoint", publisher.DefaultEndpoint, "broker ingest endpoint (LOGBUS_ENDPOINT)")
	fs.Duration("duration", 0, "stop after this long (0: until interrupted)")
	return fs
}

// demoCommand runs the simulated instruments of `logbus up --demo`
// against any broker.
func demoCommand(args []string, stdout, stderr io.Writer) int {
	fs := demoFlagSet()
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: logbus demo [flags]\n\nPublishes from simulated instruments (records with tracebacks, and\nperformance samples) until interrupted.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return cli.ExitOK
		}
		fmt.Fprintf(stderr, "logbus demo: %v (see logbus demo --help)\n", err)
		return cli.ExitUsage
	}
	v, err := cli.Load(fs, "")
	if err != nil {
		fmt.Fprintf(stderr, "logbus demo: %v\n", err)
		return cli.ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if d := v.GetDuration("duration"); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	fmt.Fprintf(stdout, "publishing from %d simulated instruments to %s\n", len(demoInstruments), v.GetString("endpoint"))
	runDemo(ctx, v.GetString("endpoint"), slog.New(slog.NewTextHandler(stderr, nil)))
	return cli.ExitOK
}
