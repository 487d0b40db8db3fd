package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/cmd/internal/cli"
	"github.com/logbus/logbus/publisher"
)

// sendCommand publishes one record from a shell, like logger(1):
//
//	logbus send --level ERROR --equipment scope-3 "trigger lost" channel=2 note="two words"
func sendCommand(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("logbus send", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("endpoint", publisher.DefaultEndpoint, "broker ingest endpoint (LOGBUS_ENDPOINT)")
	fs.String("user", "", "PLAIN user name, when the broker requires a login (LOGBUS_USER)")
	fs.String("password", "", "PLAIN password (better: LOGBUS_PASSWORD)")
	fs.String("system", "P", "system: T test, S staging, P production")
	fs.String("level", "INFO", "level: DEBUG, INFO, NOTICE, WARN, ERROR, CRITICAL")
	fs.String("equipment", "", "equipment id")
	fs.String("logger", "logbus.send", "logger name")
	fs.String("host", "", "host name (default: this machine's)")
	fs.Duration("timeout", 5*time.Second, "give up delivering after this long")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: logbus send [flags] MESSAGE [key=value ...]\n\nPublishes one record. Values that parse as integers, floats or booleans\nkeep that type; everything else is a string.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return cli.ExitOK
		}
		fmt.Fprintf(stderr, "logbus send: %v (see logbus send --help)\n", err)
		return cli.ExitUsage
	}
	v, err := cli.Load(fs, "")
	if err != nil {
		fmt.Fprintf(stderr, "logbus send: %v\n", err)
		return cli.ExitUsage
	}
	rec, err := buildRecord(fs.Args(), v.GetString("level"), v.GetString("equipment"), v.GetString("logger"))
	if err != nil {
		fmt.Fprintf(stderr, "logbus send: %v\n", err)
		return cli.ExitUsage
	}
	sys := v.GetString("system")
	if len(sys) != 1 || !logbus.System(sys[0]).Valid() {
		fmt.Fprintf(stderr, "logbus send: --system %q: want T, S or P\n", sys)
		return cli.ExitUsage
	}
	p, err := publisher.New(v.GetString("endpoint"), &publisher.Options{System: logbus.System(sys[0]), Host: v.GetString("host"),
		PlainUsername: v.GetString("user"), PlainPassword: v.GetString("password"),
		Fallback: io.Discard}) // the command says itself what was not delivered
	if err != nil {
		fmt.Fprintf(stderr, "logbus send: %v\n", err)
		return cli.ExitUsage
	}
	p.Publish(rec)
	ctx, cancel := context.WithTimeout(context.Background(), v.GetDuration("timeout"))
	defer cancel()
	if err := p.Close(ctx); err != nil && !errors.Is(err, publisher.ErrDropped) {
		fmt.Fprintf(stderr, "logbus send: %v\n", err)
		return cli.ExitFailure
	}
	if st := p.Stats(); st.Dropped.Total() > 0 || st.Connected == 0 && st.Sent == 0 {
		fmt.Fprintf(stderr, "logbus send: not delivered: no broker at %s within %v\n", v.GetString("endpoint"), v.GetDuration("timeout"))
		return cli.ExitFailure
	}
	return cli.ExitOK
}

func buildRecord(args []string, level, equipment, logger string) (*logbus.Record, error) {
	if len(args) == 0 {
		return nil, cli.Configf("no message given")
	}
	l, ok := logbus.ParseLevel(level)
	if !ok {
		return nil, cli.Configf("--level %q: want DEBUG, INFO, NOTICE, WARN, ERROR or CRITICAL", level)
	}
	if equipment != "" && !logbus.ValidName(equipment) {
		return nil, cli.Configf("--equipment %q: want 1-128 of [A-Za-z0-9._-]", equipment)
	}
	r := &logbus.Record{Level: l, Message: args[0], Logger: logger}
	r.Time = time.Now()
	r.Equipment = equipment
	for _, kv := range args[1:] {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, cli.Configf("attribute %q: want key=value", kv)
		}
		r.AddAttr(logbus.Attr{Key: k, Value: guessValue(val)})
	}
	return r, nil
}

func guessValue(s string) logbus.Value {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return logbus.IntValue(n)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && strings.ContainsAny(s, ".eE") {
		return logbus.FloatValue(f)
	}
	if b, err := strconv.ParseBool(s); err == nil && (s == "true" || s == "false") {
		return logbus.BoolValue(b)
	}
	return logbus.StringValue(s)
}
