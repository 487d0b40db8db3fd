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

	"github.com/logbus/logbus/broker"
	"github.com/logbus/logbus/cmd/internal/cli"
	"github.com/logbus/logbus/filesink"
	"github.com/logbus/logbus/subscriber"
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
	return up(ctx, bcfg, bhttp, scfg, v.GetString("sink-http"), v.GetBool("demo"), stdout, log)
}

// up runs broker, file sink and (with demo) the simulated instruments
// until ctx ends; then instruments stop, the broker drains into the
// sink, and the sink writes and syncs everything.
func up(ctx context.Context, bcfg broker.Config, bhttp string, scfg filesink.Config, shttp string, demo bool, stdout io.Writer, log *slog.Logger) int {
	b, err := broker.New(&bcfg)
	if err != nil {
		log.Error("cannot start the broker", "err", err)
		if cli.IsConfigError(err) {
			return cli.ExitUsage
		}
		return cli.ExitFailure
	}
	sink, err := filesink.New(&scfg)
	if err != nil {
		log.Error("cannot start the file sink", "err", err)
		code := cli.ExitFailure
		if cli.IsConfigError(err) {
			code = cli.ExitUsage
		}
		return cli.Join(code, b.Close(), log)
	}
	eps := b.Endpoints()
	sub, err := subscriber.Dial(ctx, eps.Archive, &subscriber.Options{Resume: sink.Positions(), QueueMessages: cli.SinkReadAhead})
	if err != nil {
		log.Error("cannot start the file sink", "err", err)
		return cli.Join(cli.Join(cli.ExitFailure, sink.Close(), log), b.Close(), log)
	}
	bweb, err := cli.StartHTTP(bhttp, b.Handler(), log)
	if err != nil {
		log.Error("cannot start HTTP", "err", err)
		return cli.Join(cli.Join(cli.Join(cli.ExitUsage, sub.Close(), log), sink.Close(), log), b.Close(), log)
	}
	sweb, err := cli.StartHTTP(shttp, sink.Handler(), log)
	if err != nil {
		log.Error("cannot start HTTP", "err", err)
		code := cli.Join(cli.ExitUsage, bweb.Close(), log)
		return cli.Join(cli.Join(cli.Join(code, sub.Close(), log), sink.Close(), log), b.Close(), log)
	}
	stopHUP := cli.OnReopen(sink.Reopen)
	defer stopHUP()

	fmt.Fprintf(stdout, `logbus is up
  publishers connect to  %s
  dashboards subscribe   %s   (lossy fan-out)
  file sinks subscribe   %s   (no-drop archive)
  files are written to   %s   (central log: %s)
  broker metrics         %s/metrics
  file sink metrics      %s/metrics
follow everything with:  go run ./cmd/logbus tail --connect %s
stop with Ctrl-C
`, eps.Ingest, eps.Fanout, eps.Archive, scfg.Root, scfg.Central, bweb.Addr(), sweb.Addr(), eps.Fanout)

	brokerCtx, stopBroker := context.WithCancel(context.Background())
	sinkCtx, stopSink := context.WithCancel(context.Background())
	brokerDone, sinkDone := make(chan error, 1), make(chan error, 1)
	go func() { brokerDone <- b.Run(brokerCtx) }()
	go func() { sinkDone <- sink.Run(sinkCtx, sub) }()
	var demoDone chan struct{}
	if demo {
		demoDone = make(chan struct{})
		go func() {
			defer close(demoDone)
			runDemo(ctx, eps.Ingest, log)
		}()
	}

	<-ctx.Done()
	log.Info("stopping")
	if demoDone != nil {
		<-demoDone // instruments hand their queues to the broker
	}
	// Downstream last: the broker drains what publishers sent and flushes
	// its archive queue while the sink still reads; the sink then writes
	// what it has received and syncs everything.
	stopBroker()
	code := cli.ExitOK
	if err := <-brokerDone; err != nil {
		log.Error("broker stopped with an error", "err", err)
		code = cli.ExitFailure
	}
	code = cli.Join(code, bweb.Close(), log)
	code = cli.Join(code, b.Close(), log)
	stopSink()
	if err := <-sinkDone; err != nil {
		log.Error("file sink stopped with an error", "err", err)
		code = cli.ExitFailure
	}
	code = cli.Join(code, sweb.Close(), log)
	code = cli.Join(code, sub.Close(), log)
	code = cli.Join(code, sink.Close(), log)
	st := sink.Stats()
	log.Info("stopped", "records_written", st.Records, "central", st.Central, "gaps", st.Gaps)
	return code
}
