// Package cli is what the logbus commands share: reading configuration
// (flags, then LOGBUS_* environment variables, then a YAML file, then
// defaults), the flag sets of the broker and the file sink, and the exit
// codes. Only commands read configuration; the packages they run take
// plain config structs.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Exit codes shared by the commands.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2 // bad flags, environment or configuration file
)

// ErrConfig marks configuration errors (exit code 2).
var ErrConfig = errors.New("configuration")

// Load binds fs to the environment and, when the flag named configFlag
// is set, to that YAML file. Keys in the file that name no flag are an
// error: a typo must not silently fall back to a default.
func Load(fs *pflag.FlagSet, configFlag string) (*viper.Viper, error) {
	v := viper.New()
	v.SetEnvPrefix("LOGBUS")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	if err := v.BindPFlags(fs); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if configFlag == "" {
		return v, nil
	}
	file := v.GetString(configFlag)
	if file == "" {
		return v, nil
	}
	v.SetConfigFile(file)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("%w: reading %s: %w", ErrConfig, file, err)
	}
	var known []string
	fs.VisitAll(func(f *pflag.Flag) { known = append(known, f.Name) })
	for _, k := range v.AllKeys() {
		if !slices.Contains(known, k) {
			return nil, fmt.Errorf("%w: %s: unknown key %q", ErrConfig, file, k)
		}
	}
	return v, nil
}

// Configf returns a configuration error.
func Configf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

// ParseDaemonFlags parses a daemon's arguments, loads its configuration
// and makes its logger (--log-level). Usage goes to stderr. The error is
// pflag.ErrHelp for --help, or wraps ErrConfig.
func ParseDaemonFlags(fs *pflag.FlagSet, name string, args []string, stderr io.Writer) (*viper.Viper, *slog.Logger, error) {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: "+name+" [flags]\n\nflags (each also LOGBUS_<FLAG> in the environment, dashes as underscores):")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%w: %w (see %s --help)", ErrConfig, err, name)
	}
	v, err := Load(fs, "config")
	if err != nil {
		return nil, nil, err
	}
	log, err := Logger(stderr, v.GetString("log-level"))
	if err != nil {
		return nil, nil, err
	}
	return v, log, nil
}

// UsageExit reports a parse error of ParseDaemonFlags (or a Parse
// function built on it) and returns the exit code: 0 for --help, which
// has printed the usage, else ExitUsage.
func UsageExit(name string, err error, stderr io.Writer) int {
	if errors.Is(err, pflag.ErrHelp) {
		return ExitOK
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return ExitUsage
}

// Component is a daemon run in process: Run serves until its context
// ends and then stops gracefully; Close releases everything and is
// idempotent.
type Component interface {
	Run(ctx context.Context) error
	Close() error
}

// Serve runs a daemon's life for its command: open (bind, connect), then
// started (its start-up line), Run until ctx ends, Close, then stopped
// (its summary line). It returns the exit code: ExitUsage when open
// fails on configuration, ExitFailure on any other failure.
func Serve(ctx context.Context, c Component, open func() error, log *slog.Logger, started, stopped func()) int {
	if err := open(); err != nil {
		log.Error("cannot start", "err", err)
		code := ExitFailure
		if IsConfigError(err) {
			code = ExitUsage
		}
		return Join(code, c.Close(), log)
	}
	started()
	code := ExitOK
	if err := c.Run(ctx); err != nil {
		log.Error("stopped with an error", "err", err)
		code = ExitFailure
	}
	code = Join(code, c.Close(), log)
	stopped()
	return code
}
