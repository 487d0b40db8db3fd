// Command filesink writes what a logbus broker archives into durable
// per-equipment files under --root (see package filesink).
//
// Configuration comes from flags, LOGBUS_* environment variables and a
// YAML file given with --config (configs/filesink.yaml documents every
// key). Bad configuration exits with status 2. SIGINT or SIGTERM writes,
// fsyncs and closes everything and exits 0; SIGHUP reopens every file
// (for logrotate).
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
	"github.com/logbus/logbus/filesink"
	"github.com/logbus/logbus/subscriber"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := cli.FilesinkFlagSet()
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: filesink [flags]\n\nflags (each also LOGBUS_<FLAG> in the environment, dashes as underscores):")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return cli.ExitOK
		}
		fmt.Fprintf(stderr, "filesink: %v (see filesink --help)\n", err)
		return cli.ExitUsage
	}
	v, err := cli.Load(fs, "config")
	if err != nil {
		fmt.Fprintf(stderr, "filesink: %v\n", err)
		return cli.ExitUsage
	}
	cfg, err := cli.FilesinkConfig(v)
	if err != nil {
		fmt.Fprintf(stderr, "filesink: %v\n", err)
		return cli.ExitUsage
	}
	log, err := cli.Logger(stderr, v.GetString("log-level"))
	if err != nil {
		fmt.Fprintf(stderr, "filesink: %v\n", err)
		return cli.ExitUsage
	}
	cfg.Logger = log
	return Serve(ctx, cfg, v.GetString("connect"), v.GetString("http"), log)
}

// Serve runs a file sink reading connect until ctx ends.
func Serve(ctx context.Context, cfg filesink.Config, connect, httpAddr string, log *slog.Logger) int {
	sink, err := filesink.New(&cfg)
	if err != nil {
		log.Error("cannot start", "err", err)
		if cli.IsConfigError(err) {
			return cli.ExitUsage
		}
		return cli.ExitFailure
	}
	sub, err := subscriber.Dial(ctx, connect, nil)
	if err != nil {
		log.Error("cannot start", "err", err)
		return cli.Join(cli.ExitUsage, sink.Close(), log)
	}
	web, err := cli.StartHTTP(httpAddr, sink.Handler(), log)
	if err != nil {
		log.Error("cannot start HTTP", "err", err)
		code := cli.Join(cli.ExitUsage, sub.Close(), log)
		return cli.Join(code, sink.Close(), log)
	}
	stopHUP := cli.OnReopen(sink.Reopen)
	defer stopHUP()
	log.Info("file sink running", "connect", connect, "root", cfg.Root, "http", web.Addr())
	code := cli.ExitOK
	if err := sink.Run(ctx, sub); err != nil {
		log.Error("file sink stopped", "err", err)
		code = cli.ExitFailure
	}
	code = cli.Join(code, web.Close(), log)
	code = cli.Join(code, sub.Close(), log)
	code = cli.Join(code, sink.Close(), log)
	st := sink.Stats()
	log.Info("file sink stopped", "records", st.Records, "fsyncs", st.Fsyncs, "central", st.Central,
		"refused", st.Refused, "gaps", st.Gaps, "missing", st.Missing)
	return code
}
