package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/logbus/logbus/cmd/internal/cli"
)

func upCommand(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("logbus up", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	cli.BrokerFlags(fs)
	cli.FilesinkFlags(fs)
	fs.String("sink-http", cli.FilesinkHTTP, `file sink's /metrics and /healthz; "-" disables`)
	fs.Bool("demo", false, "also run simulated instruments that publish records and samples")
	fs.String("config", "", "YAML configuration file (keys as the flag names)")
	fs.String("log-level", "info", "log level: debug, info, warn, error")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: logbus up [--demo] [flags]\n\nRuns a broker and a file sink in one process with the defaults of both;\nevery broker and file sink flag is accepted with the same meaning (the\nfile sink's HTTP address is --sink-http).\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return cli.ExitOK
		}
		fmt.Fprintf(stderr, "logbus up: %v (see logbus up --help)\n", err)
		return cli.ExitUsage
	}
	v, err := cli.Load(fs, "config")
	if err != nil {
		fmt.Fprintf(stderr, "logbus up: %v\n", err)
		return cli.ExitUsage
	}
	bcfg, bhttp, err := cli.BrokerConfig(v)
	if err != nil {
		fmt.Fprintf(stderr, "logbus up: %v\n", err)
		return cli.ExitUsage
	}
	if bcfg.Archive == "-" {
		fmt.Fprintln(stderr, "logbus up: --archive cannot be disabled: the file sink reads it")
		return cli.ExitUsage
	}
	scfg, err := cli.FilesinkConfig(v)
	if err != nil {
		fmt.Fprintf(stderr, "logbus up: %v\n", err)
		return cli.ExitUsage
	}
	log, err := cli.Logger(stderr, v.GetString("log-level"))
	if err != nil {
		fmt.Fprintf(stderr, "logbus up: %v\n", err)
		return cli.ExitUsage
	}
	bcfg.Logger, scfg.Logger = log.With("component", "broker"), log.With("component", "filesink")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	u := &upDaemon{
		Broker: cli.Broker{Config: bcfg, HTTP: bhttp},
		Sink:   cli.Filesink{Config: scfg, HTTP: v.GetString("sink-http")},
		Demo:   v.GetBool("demo"),
		Log:    log,
	}
	return cli.Serve(ctx, u, func() error { return u.Open(ctx) }, log, func() { u.banner(stdout) }, func() {
		st := u.Sink.Stats()
		log.Info("stopped", "records_written", st.Records, "central", st.Central, "gaps", st.Gaps)
	})
}

// upDaemon is `logbus up` as a component: a broker, a file sink reading
// its archive endpoint and, with Demo, simulated instruments.
type upDaemon struct {
	Broker cli.Broker
	Sink   cli.Filesink // Sink.Connect is set by Open
	Demo   bool
	Log    *slog.Logger
}

// Open binds the broker and starts the file sink on its archive endpoint.
func (u *upDaemon) Open(ctx context.Context) error {
	if err := u.Broker.Open(); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	u.Sink.Connect = u.Broker.Endpoints().Archive
	if err := u.Sink.Open(ctx); err != nil {
		return fmt.Errorf("file sink: %w", err)
	}
	return nil
}

// banner tells the user where everything is.
func (u *upDaemon) banner(w io.Writer) {
	eps := u.Broker.Endpoints()
	fmt.Fprintf(w, `logbus is up
  publishers connect to  %s
  dashboards subscribe   %s   (lossy fan-out)
  file sinks subscribe   %s   (no-drop archive)
  files are written to   %s   (central log: %s)
  broker metrics         %s/metrics
  file sink metrics      %s/metrics
follow everything with:  go run ./cmd/logbus tail --connect %s
stop with Ctrl-C
`, eps.Ingest, eps.Fanout, eps.Archive, u.Sink.Config.Root, u.Sink.Config.Central, u.Broker.HTTPAddr(), u.Sink.HTTPAddr(), eps.Fanout)
}

// Run serves until ctx ends; then instruments stop, the broker drains
// into the sink, and the sink writes and syncs everything.
func (u *upDaemon) Run(ctx context.Context) error {
	brokerCtx, stopBroker := context.WithCancel(context.Background())
	sinkCtx, stopSink := context.WithCancel(context.Background())
	defer stopBroker()
	defer stopSink()
	brokerDone, sinkDone := make(chan error, 1), make(chan error, 1)
	go func() { brokerDone <- u.Broker.Run(brokerCtx) }()
	go func() { sinkDone <- u.Sink.Run(sinkCtx) }()
	var demoDone chan struct{}
	if u.Demo {
		demoDone = make(chan struct{})
		go func() {
			defer close(demoDone)
			runDemo(ctx, u.Broker.Endpoints().Ingest, u.Log)
		}()
	}

	<-ctx.Done()
	u.Log.Info("stopping")
	if demoDone != nil {
		<-demoDone // instruments hand their queues to the broker
	}
	// Downstream last: the broker drains what publishers sent and flushes
	// its archive queue while the sink still reads; the sink then writes
	// what it has received and syncs everything.
	stopBroker()
	var errs []error
	if err := <-brokerDone; err != nil {
		errs = append(errs, fmt.Errorf("broker: %w", err))
	}
	if err := u.Broker.Close(); err != nil {
		errs = append(errs, fmt.Errorf("broker: %w", err))
	}
	stopSink()
	if err := <-sinkDone; err != nil {
		errs = append(errs, fmt.Errorf("file sink: %w", err))
	}
	return errors.Join(errs...)
}

// Close releases the file sink and the broker; it is idempotent.
func (u *upDaemon) Close() error {
	return errors.Join(u.Sink.Close(), u.Broker.Close())
}
