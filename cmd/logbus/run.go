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
	"runtime"
	"sync"
	"sync/atomic"
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
	Tee          bool          // also copy the child's stderr (and a relayed stdout) to ours; default true
	Fds          []int         // more descriptors of the child to relay: 1 (stdout) or ≥ 3; Unix only for ≥ 3
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
	fs.Bool("tee", true, "also copy the child's stderr to this process's stderr (and a relayed stdout to stdout)")
	fs.IntSlice("fd", nil, "also relay the lines CMD writes on this descriptor (repeatable): 1 relays stdout (still copied to ours with --tee);\n2, stderr, is always relayed; 3 to 255 gives CMD the write end of a pipe as that descriptor (logbook_aiopipe style;\nnot on Windows, which passes no descriptors beyond 0-2)")
	fs.Duration("close-timeout", 5*time.Second, "how long to keep sending queued records after the child exits")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: logbus run [flags] -- CMD [ARGS...]\n\nRuns CMD with stdin and stdout passed through; each line CMD writes on\nstderr (a worker line, a JSON line or plain text) is published as a record,\nand so is each line on the descriptors given with --fd. A Python traceback\nor Go panic dump becomes one ERROR record. Exits with CMD's status; SIGINT\nand SIGTERM are forwarded to CMD.\n\nflags:")
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
	if cfg.Fds, err = fs.GetIntSlice("fd"); err != nil {
		fmt.Fprintf(stderr, "logbus run: --fd: %v\n", err)
		return exitUsage
	}
	if err := checkFds(cfg.Fds); err != nil {
		fmt.Fprintf(stderr, "logbus run: %v\n", err)
		return exitUsage
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
	srcs, writeEnds, err := relaySources(cmd, cfg, stdout, stderr)
	defer func() {
		for _, s := range srcs {
			if err := s.r.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
				fmt.Fprintf(stderr, "logbus run: %v\n", err)
			}
		}
	}()
	if err != nil {
		fmt.Fprintf(stderr, "logbus run: %v\n", err)
		closeAll(writeEnds, stderr)
		return 1
	}
	err = cmd.Start()
	// The child has its copies of the pipes' write ends; ours must go, or
	// the relays would never see EOF.
	closeAll(writeEnds, stderr)
	if err != nil {
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

	ctx := context.Background()
	if cfg.Equipment != "" {
		ctx = publisher.WithEquipment(ctx, cfg.Equipment)
	}
	// The relays end at EOF, when the child and any process it started
	// that holds its descriptors have exited. A process left behind (a
	// daemon the child started) must not keep us: once the child has
	// exited, the pipes get a read deadline childGrace ahead, pushed on by
	// every read that brings data, so what is in a pipe is still read and
	// only a pipe quiet for childGrace ends.
	var relays sync.WaitGroup
	var cutOff, childExited atomic.Bool
	for _, s := range srcs {
		relays.Add(1)
		go func() {
			defer relays.Done()
			var r io.Reader = &slidingDeadline{f: s.r, after: &childExited}
			if s.tee != nil {
				r = io.TeeReader(r, &bestEffortWriter{w: s.tee})
			}
			err := pub.Relay(ctx, r, slog.String("child", cfg.Name), slog.Int("pid", cmd.Process.Pid))
			switch {
			case errors.Is(err, os.ErrDeadlineExceeded):
				cutOff.Store(true)
			case err != nil:
				fmt.Fprintf(stderr, "logbus run: relay of descriptor %d: %v\n", s.fd, err)
			}
		}()
	}
	relaysDone := make(chan struct{})
	go func() {
		relays.Wait()
		close(relaysDone)
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var waitErr error
	select {
	case <-relaysDone:
		waitErr = <-exited
	case waitErr = <-exited:
		childExited.Store(true)
		for _, s := range srcs {
			if err := s.r.SetReadDeadline(time.Now().Add(childGrace)); err != nil && !errors.Is(err, os.ErrNoDeadline) { // Windows pipes: none
				fmt.Fprintf(stderr, "logbus run: %v\n", err)
			}
		}
		<-relaysDone
		if cutOff.Load() {
			fmt.Fprintf(stderr, "logbus run: %s exited, but a process it started still holds its output: what it writes now is not relayed\n", cfg.Name)
		}
	}
	close(stopForward)
	wg.Wait()
	return exitCode(waitErr, stderr)
}

// slidingDeadline reads f; once after is set, every read that brings
// data moves f's read deadline childGrace ahead.
type slidingDeadline struct {
	f     *os.File
	after *atomic.Bool
}

func (d *slidingDeadline) Read(p []byte) (int, error) {
	n, err := d.f.Read(p)
	if n > 0 && d.after.Load() {
		if derr := d.f.SetReadDeadline(time.Now().Add(childGrace)); derr != nil && !errors.Is(derr, os.ErrNoDeadline) {
			return n, derr
		}
	}
	return n, err
}

// childGrace is how long a pipe may stay quiet after the child has
// exited before its relay ends: a process the child started that keeps
// the pipe open but writes nothing more does not keep logbus run.
const childGrace = 2 * time.Second

// relaySource is one descriptor of the child that is relayed.
type relaySource struct {
	fd  int
	r   *os.File
	tee io.Writer // nil: not copied
}

// relaySources connects the child's stderr and the descriptors of
// cfg.Fds to pipes of our own (not exec's: those could not be closed
// while a read waits), returning their read ends and the write ends to
// close once the child has started.
func relaySources(cmd *exec.Cmd, cfg runConfig, stdout, stderr io.Writer) ([]relaySource, []*os.File, error) {
	var srcs []relaySource
	var writeEnds []*os.File
	pipe := func(fd int, tee io.Writer) (*os.File, error) {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, fmt.Errorf("a pipe for descriptor %d: %w", fd, err)
		}
		if !cfg.Tee {
			tee = nil
		}
		srcs = append(srcs, relaySource{fd: fd, r: r, tee: tee})
		writeEnds = append(writeEnds, w)
		return w, nil
	}
	w, err := pipe(2, stderr)
	if err != nil {
		return srcs, writeEnds, err
	}
	cmd.Stderr = w
	cmd.Stdout = stdout
	for _, fd := range cfg.Fds {
		switch fd {
		case 1:
			if cmd.Stdout, err = pipe(1, stdout); err != nil {
				return srcs, writeEnds, err
			}
		case 2: // always relayed
		default:
			w, err := pipe(fd, nil)
			if err != nil {
				return srcs, writeEnds, err
			}
			for len(cmd.ExtraFiles) <= fd-3 {
				cmd.ExtraFiles = append(cmd.ExtraFiles, nil) // closed in the child
			}
			cmd.ExtraFiles[fd-3] = w
		}
	}
	return srcs, writeEnds, nil
}

// maxRelayFd bounds --fd: the child is given every descriptor up to it
// (unused ones closed).
const maxRelayFd = 255

// checkFds validates --fd values: 1, 2 or 3…maxRelayFd, each once; 3 and
// above are not available on Windows.
func checkFds(fds []int) error {
	seen := map[int]bool{}
	for _, fd := range fds {
		switch {
		case fd < 1 || fd > maxRelayFd:
			return fmt.Errorf("--fd %d: want 1 (stdout), 2 (stderr) or 3-%d", fd, maxRelayFd)
		case fd >= 3 && runtime.GOOS == "windows":
			return fmt.Errorf("--fd %d: Windows passes a child no descriptors beyond 0-2; relay stderr or --fd 1 (stdout)", fd)
		case seen[fd]:
			return fmt.Errorf("--fd %d given twice", fd)
		}
		seen[fd] = true
	}
	return nil
}

func closeAll(files []*os.File, stderr io.Writer) {
	for _, f := range files {
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "logbus run: %v\n", err)
		}
	}
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
