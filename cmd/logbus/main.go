// Command logbus is the logbus command line: it starts a broker and a
// file sink in one process (up), runs programs with their stderr relayed
// to the broker (run), follows the broker's fan-out (tail), publishes one
// record (send), simulates instruments (demo), measures the whole path
// (bench), runs either daemon alone (broker, filesink) and prints its
// version (version).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/logbus/logbus/cmd/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand. run returns the process exit code.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = []command{
	{"up", "run a broker and a file sink in one process (--demo adds simulated instruments)", upCommand},
	{"broker", "run a broker (the broker command, built in)", daemon("broker", cli.RunBroker)},
	{"filesink", "run a file sink (the filesink command, built in)", daemon("filesink", cli.RunFilesink)},
	{"bench", "end-to-end load test: publishers, broker and file sink on disk", benchCommand},
	{"demo", "publish from simulated instruments to a broker", demoCommand},
	{"run", "run a program, relaying its stderr log frames to the broker", runCommand},
	{"send", "publish one record from a shell, like logger(1)", sendCommand},
	{"tail", "follow the broker's fan-out: records, samples, gaps and decode errors", tailCommand},
	{"version", "print the version", func(_ []string, stdout, _ io.Writer) int {
		fmt.Fprintf(stdout, "logbus %s\n", version)
		return 0
	}},
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// daemon adapts a long-running command: SIGINT and SIGTERM stop it.
func daemon(name string, run func(ctx context.Context, name string, args []string, stderr io.Writer) int) func([]string, io.Writer, io.Writer) int {
	return func(args []string, _, stderr io.Writer) int {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		stopProfile, err := startProfile(os.Getenv(profileEnv))
		if err != nil {
			fmt.Fprintf(stderr, "logbus %s: %v\n", name, err)
			return exitUsage
		}
		code := run(ctx, "logbus "+name, args, stderr)
		if err := stopProfile(); err != nil {
			fmt.Fprintf(stderr, "logbus %s: %v\n", name, err)
		}
		return code
	}
}

// exitUsage is the exit code for bad flags or arguments.
const exitUsage = 2

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "logbus: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: logbus <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nlogbus <command> --help describes a command's flags.")
}
