package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/cmd/internal/cli"
	"github.com/logbus/logbus/publisher"
)

// runConfig is what `logbus run` reads from flags and LOGBUS_* variables.
type runConfig struct {
	Endpoint     string        // broker ingest; default publisher.DefaultEndpoint
	System       string        // T, S or P; default P
	Equipment    string        // equipment of every record unless a worker line names its own
	Name         string        // child name attribute; default the command's base name
	Tee          bool          // also copy the child's stderr to ours; default true
	CloseTimeout time.Duration // how long to keep sending after the child exits; default 5s
	User         string        // PLAIN login, when the broker requires one
	Password     string
}

func runCommand(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("logbus run", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("endpoint", publisher.DefaultEndpoint, "broker ingest endpoint (LOGBUS_ENDPOINT)")
	fs.String("user", "", "PLAIN user name, when the broker requires a login (LOGBUS_USER)")
	fs.String("password", "", "PLAIN password (better: LOGBUS_PASSWORD)")
	fs.String("system", "P", "system: T test, S staging, P production (LOGBUS_SYSTEM)")
	fs.String("equipment", "", "equipment id for records that name none (LOGBUS_EQUIPMENT)")
	fs.String("name", "", "child name attribute (default: the command's base name)")
	fs.Bool("tee", true, "also copy the child's stderr to this process's stderr")
	fs.Duration("close-timeout", 5*time.Second, "how long to keep sending queued records after the child exits")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: logbus run [flags] -- CMD [ARGS...]\n\nRuns CMD with stdin and stdout passed through; each line CMD writes on\nstderr (a worker line or plain text) is published as a record. Exits with\nCMD's status; SIGINT and SIGTERM are forwarded to CMD.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "logbus run: %v (see logbus run --help)\n", err)
		return exitUsage
	}
	v, err := cli.Load(fs, "")
	if err != nil {
		fmt.Fprintf(stderr, "logbus run: %v\n", err)
		return exitUsage
	}
	cfg := runConfig{
		Endpoint: v.GetString("endpoint"), System: v.GetString("system"), Equipment: v.GetString("equipment"),
		Name: v.GetString("name"), Tee: v.GetBool("tee"), CloseTimeout: v.GetDuration("close-timeout"),
		User: v.GetString("user"), Password: v.GetString("password"),
	}
	argv := fs.Args()
	if len(argv) == 0 {
		fmt.Fprintln(stderr, "logbus run: no command given (logbus run [flags] -- CMD [ARGS...])")
		return exitUsage
	}
	if len(cfg.System) != 1 || !logbus.System(cfg.System[0]).Valid() {
		fmt.Fprintf(stderr, "logbus run: --system %q: want T, S or P\n", cfg.System)
		return exitUsage
	}
	if cfg.Equipment != "" && !logbus.ValidName(cfg.Equipment) {
		fmt.Fprintf(stderr, "logbus run: --equipment %q: want 1-128 of [A-Za-z0-9._-]\n", cfg.Equipment)
		return exitUsage
	}
	if cfg.Name == "" {
		cfg.Name = filepath.Base(argv[0])
	}
	return runChild(cfg, argv, stdout, stderr)
}

func runChild(cfg runConfig, argv []string, stdout, stderr io.Writer) int {
	pub, err := publisher.New(cfg.Endpoint, &publisher.Options{System: logbus.System(cfg.System[0]),
		PlainUsername: cfg.User, PlainPassword: cfg.Password})
	if err != nil {
		fmt.Fprintf(stderr, "logbus run: %v\n", err)
		return exitUsage
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.CloseTimeout)
		defer cancel()
		if err := pub.Close(ctx); err != nil && !errors.Is(err, publisher.ErrDropped) { // drops: said below
			fmt.Fprintf(stderr, "logbus run: closing the publisher: %v\n", err)
		}
		if d := pub.Stats().Dropped; d.Total() > 0 {
			fmt.Fprintf(stderr, "logbus run: %d records not delivered (queue full %d, unsent at exit %d)\n",
				d.Total(), d.QueueFull, d.Closed+d.Transport)
		}
	}()

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = os.Stdin
	cmd.Stdout = stdout
	pipe, err := cmd.StderrPipe()
	if err != nil {
		fmt.Fprintf(stderr, "logbus run: %v\n", err)
		return 1
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "logbus run: %v\n", err)
		return 127
	}

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	stopForward := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case s := <-sigs:
				if err := cmd.Process.Signal(s); err != nil && !errors.Is(err, os.ErrProcessDone) {
					fmt.Fprintf(stderr, "logbus run: forwarding %v: %v\n", s, err)
				}
			case <-stopForward:
				return
			}
		}
	}()

	var src io.Reader = pipe
	if cfg.Tee {
		src = io.TeeReader(pipe, &bestEffortWriter{w: stderr})
	}
	relayDone := make(chan error, 1)
	go func() {
		ctx := context.Background()
		if cfg.Equipment != "" {
			ctx = publisher.WithEquipment(ctx, cfg.Equipment)
		}
		relayDone <- pub.Relay(ctx, src, slog.String("child", cfg.Name), slog.Int("pid", cmd.Process.Pid))
	}()

	// The relay ends at EOF, when the child (and any grandchild holding
	// its stderr) has exited; Wait closes the pipe after it returns.
	if err := <-relayDone; err != nil {
		fmt.Fprintf(stderr, "logbus run: relay: %v\n", err)
	}
	waitErr := cmd.Wait()
	close(stopForward)
	wg.Wait()
	return exitCode(waitErr, stderr)
}

// exitCode maps the child's end to ours: its status, or 128+signal when a
// signal killed it, as shells do.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	fmt.Fprintf(stderr, "logbus run: %v\n", err)
	return 1
}

// bestEffortWriter copies to w until the first write error, then stops
// copying: the relay must go on even when our own stderr is gone.
type bestEffortWriter struct {
	w   io.Writer
	err error
}

func (b *bestEffortWriter) Write(p []byte) (int, error) {
	if b.err == nil {
		_, b.err = b.w.Write(p)
	}
	return len(p), nil
}
