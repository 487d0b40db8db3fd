// Command broker runs the logbus broker: publishers connect to its ingest
// endpoint, dashboards to its fan-out, file sinks to its archive endpoint.
//
// Configuration comes from flags, LOGBUS_* environment variables (e.g.
// LOGBUS_INGEST, LOGBUS_FANOUT_QUEUE), and a YAML file given with
// --config (configs/broker.yaml documents every key), in that order of
// precedence. Bad configuration exits with status 2. SIGINT or SIGTERM
// stops it gracefully: publishers are drained, subscriber queues flushed.
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
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := cli.BrokerFlagSet()
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: broker [flags]\n\nflags (each also LOGBUS_<FLAG> in the environment, dashes as underscores):")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return cli.ExitOK
		}
		fmt.Fprintf(stderr, "broker: %v (see broker --help)\n", err)
		return cli.ExitUsage
	}
	v, err := cli.Load(fs, "config")
	if err != nil {
		fmt.Fprintf(stderr, "broker: %v\n", err)
		return cli.ExitUsage
	}
	cfg, httpAddr, err := cli.BrokerConfig(v)
	if err != nil {
		fmt.Fprintf(stderr, "broker: %v\n", err)
		return cli.ExitUsage
	}
	log, err := cli.Logger(stderr, v.GetString("log-level"))
	if err != nil {
		fmt.Fprintf(stderr, "broker: %v\n", err)
		return cli.ExitUsage
	}
	cfg.Logger = log
	return serve(ctx, cfg, httpAddr, log)
}

func serve(ctx context.Context, cfg broker.Config, httpAddr string, log *slog.Logger) int {
	b, err := broker.New(&cfg)
	if err != nil {
		log.Error("cannot start", "err", err)
		if cli.IsConfigError(err) {
			return cli.ExitUsage
		}
		return cli.ExitFailure
	}
	code := cli.ExitOK
	web, err := cli.StartHTTP(httpAddr, b.Handler(), log)
	if err != nil {
		log.Error("cannot start HTTP", "err", err)
		return cli.Join(cli.ExitUsage, b.Close(), log)
	}
	archive := "disabled"
	if a := b.ArchiveAddr(); a != nil {
		archive = "tcp://" + a.String()
	}
	log.Info("broker listening", "ingest", "tcp://"+b.IngestAddr().String(), "fanout", "tcp://"+b.FanoutAddr().String(),
		"archive", archive, "http", web.Addr())
	if err := b.Run(ctx); err != nil {
		log.Error("broker stopped", "err", err)
		code = cli.ExitFailure
	}
	code = cli.Join(code, web.Close(), log)
	code = cli.Join(code, b.Close(), log)
	st := b.Stats()
	log.Info("broker stopped", "in", st.In, "forwarded", st.Forwarded, "rejected", st.Rejected.Total(),
		"fanout_dropped", st.Fanout.Dropped.QueueFull, "unflushed", st.Fanout.Dropped.Linger+st.Archive.Dropped.Linger)
	return code
}
