// Package cli is what the logbus commands share: reading configuration
// (flags, then LOGBUS_* environment variables, then a YAML file, then
// defaults), the flag sets of the broker and the file sink, and the exit
// codes. Only commands read configuration; the packages they run take
// plain config structs.
package cli

import (
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
// and makes its logger (--log-level). When ok is false the command ends
// with code (0 for --help, ExitUsage with a message for anything wrong).
func ParseDaemonFlags(fs *pflag.FlagSet, name string, args []string, stderr io.Writer) (v *viper.Viper, log *slog.Logger, code int, ok bool) {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: "+name+" [flags]\n\nflags (each also LOGBUS_<FLAG> in the environment, dashes as underscores):")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil, nil, ExitOK, false
		}
		fmt.Fprintf(stderr, "%s: %v (see %s --help)\n", name, err, name)
		return nil, nil, ExitUsage, false
	}
	v, err := Load(fs, "config")
	if err == nil {
		log, err = Logger(stderr, v.GetString("log-level"))
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return nil, nil, ExitUsage, false
	}
	return v, log, ExitOK, true
}
