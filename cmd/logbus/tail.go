package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/cmd/internal/cli"
	"github.com/logbus/logbus/codec"
	"github.com/logbus/logbus/subscriber"
	"github.com/logbus/logbus/textline"
	"github.com/logbus/logbus/topic"
)

// tailConfig is what `logbus tail` reads from flags and LOGBUS_*.
type tailConfig struct {
	Connect   string        // broker fan-out; default subscriber.DefaultEndpoint
	Systems   []string      // T, S, P; default all
	Kinds     []string      // L, P; default all
	Equipment []string      // default all
	Level     string        // minimum level; default all
	Format    string        // auto, text or json; auto is text
	Color     string        // auto, always or never; auto colours a terminal
	Count     int           // stop after this many records and samples; 0 never
	Timeout   time.Duration // stop after this long; 0 never
}

func tailCommand(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("logbus tail", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("connect", subscriber.DefaultEndpoint, "broker fan-out endpoint (LOGBUS_CONNECT)")
	fs.StringSlice("system", nil, "systems to show: T, S, P (repeatable or comma-separated); default all")
	fs.StringSlice("kind", nil, "kinds to show: L logs, P performance samples; default both")
	fs.StringSlice("equipment", nil, "equipment ids to show; default all")
	fs.String("level", "", "minimum level: DEBUG, INFO, WARN, ERROR, CRITICAL; default all")
	fs.String("format", "text", "output: text or json (one JSON object per line)")
	fs.String("color", "auto", "colour levels: auto (on a terminal), always, never")
	fs.Int("count", 0, "exit after this many records and samples (0: follow forever)")
	fs.Duration("timeout", 0, "exit after this long (0: follow forever)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: logbus tail [flags]\n\nFollows the broker's fan-out and prints records, samples, gaps (lost\nrecords), decode errors and the broker's reports of rejected messages as they\narrive.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return cli.ExitOK
		}
		fmt.Fprintf(stderr, "logbus tail: %v (see logbus tail --help)\n", err)
		return cli.ExitUsage
	}
	v, err := cli.Load(fs, "")
	if err != nil {
		fmt.Fprintf(stderr, "logbus tail: %v\n", err)
		return cli.ExitUsage
	}
	cfg := tailConfig{
		Connect: v.GetString("connect"), Systems: v.GetStringSlice("system"), Kinds: v.GetStringSlice("kind"),
		Equipment: v.GetStringSlice("equipment"), Level: v.GetString("level"), Format: v.GetString("format"),
		Color: v.GetString("color"), Count: v.GetInt("count"), Timeout: v.GetDuration("timeout"),
	}
	opts, color, err := cfg.options(stdout)
	if err != nil {
		fmt.Fprintf(stderr, "logbus tail: %v\n", err)
		return cli.ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	sub, err := subscriber.Dial(ctx, cfg.Connect, opts)
	if err != nil {
		fmt.Fprintf(stderr, "logbus tail: %v\n", err)
		return cli.ExitUsage
	}
	code := follow(ctx, sub, cfg, color, stdout, stderr)
	if err := sub.Close(); err != nil {
		fmt.Fprintf(stderr, "logbus tail: %v\n", err)
		code = cli.ExitFailure
	}
	return code
}

func (c tailConfig) options(stdout io.Writer) (*subscriber.Options, bool, error) {
	var o subscriber.Options
	for _, s := range c.Systems {
		if len(s) != 1 || !logbus.System(s[0]).Valid() {
			return nil, false, cli.Configf("--system %q: want T, S or P", s)
		}
		o.Filter.Systems = append(o.Filter.Systems, logbus.System(s[0]))
	}
	for _, k := range c.Kinds {
		if len(k) != 1 || !topic.Kind(k[0]).Valid() {
			return nil, false, cli.Configf("--kind %q: want L or P", k)
		}
		o.Filter.Kinds = append(o.Filter.Kinds, topic.Kind(k[0]))
	}
	o.Filter.Equipments = c.Equipment
	if c.Level != "" {
		l, ok := logbus.ParseLevel(c.Level)
		if !ok {
			return nil, false, cli.Configf("--level %q: want DEBUG, INFO, WARN, ERROR or CRITICAL", c.Level)
		}
		o.MinLevel = &l
	}
	if c.Format != "text" && c.Format != "json" {
		return nil, false, cli.Configf("--format %q: want text or json", c.Format)
	}
	var color bool
	switch c.Color {
	case "always":
		color = true
	case "never":
	case "auto":
		color = c.Format == "text" && isTerminal(stdout)
	default:
		return nil, false, cli.Configf("--color %q: want auto, always or never", c.Color)
	}
	return &o, color, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// follow prints events until ctx ends or Count is reached.
func follow(ctx context.Context, sub *subscriber.Subscriber, cfg tailConfig, color bool, stdout, stderr io.Writer) int {
	w := bufio.NewWriter(stdout)
	var buf []byte
	shown := 0
	decodeLimit := textline.NewLimiter(textline.EventDecodeError) // a flood of bad payloads must not bury the records
	for cfg.Count == 0 || shown < cfg.Count {
		ev, err := sub.Next(ctx)
		if err != nil {
			break // ctx ended: interrupt or --timeout
		}
		buf = buf[:0]
		switch ev.Kind {
		case subscriber.KindRecord:
			shown++
			buf = formatRecord(buf, ev.Record, cfg.Format, color)
		case subscriber.KindSample:
			shown++
			if cfg.Format == "json" {
				buf = append(codec.AppendSampleJSON(buf, ev.Sample), '\n')
			} else {
				buf = textline.AppendSample(buf, ev.Sample)
			}
		case subscriber.KindGap:
			buf = formatNotice(buf, cfg.Format, color, textline.GapNotice(ev.Gap))
		case subscriber.KindLinkGap:
			buf = formatNotice(buf, cfg.Format, color, textline.LinkGapNotice(ev.LinkGap))
		case subscriber.KindDecodeError:
			ok, summary := decodeLimit.Allow(ev.Topic.String(), time.Now())
			if summary != nil {
				buf = formatNotice(buf, cfg.Format, color, *summary)
			}
			if ok {
				buf = formatNotice(buf, cfg.Format, color, textline.DecodeErrorNotice(ev.Topic.String(), "", ev.Err))
			}
		case subscriber.KindRejected:
			buf = formatNotice(buf, cfg.Format, color, textline.RejectedNotice(ev.Rejected))
		}
		if _, err := w.Write(buf); err != nil {
			fmt.Fprintf(stderr, "logbus tail: %v\n", err)
			return cli.ExitFailure
		}
		if sub.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				fmt.Fprintf(stderr, "logbus tail: %v\n", err)
				return cli.ExitFailure
			}
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "logbus tail: %v\n", err)
		return cli.ExitFailure
	}
	return cli.ExitOK
}

// ANSI colours per level, for a terminal.
const (
	ansiReset  = "\x1b[0m"
	ansiDim    = "\x1b[2m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[31m"
	ansiBoldRd = "\x1b[1;31m"
	ansiCyan   = "\x1b[36m"
)

func levelColor(l logbus.Level) string {
	switch {
	case l >= logbus.LevelCritical:
		return ansiBoldRd
	case l >= logbus.LevelError:
		return ansiRed
	case l >= logbus.LevelWarn:
		return ansiYellow
	case l < logbus.LevelInfo:
		return ansiDim
	}
	return ""
}

func formatRecord(buf []byte, r *logbus.Record, format string, color bool) []byte {
	if format == "json" {
		return append(codec.AppendRecordJSON(buf, r), '\n')
	}
	if c := levelColor(r.Level); color && c != "" {
		buf = append(buf, c...)
		buf = textline.AppendRecord(buf, r)
		return append(buf[:len(buf)-1], ansiReset+"\n"...)
	}
	return textline.AppendRecord(buf, r)
}

// formatNotice prints a gap or decode error: a line of text (no time:
// tail shows notices as they happen), or in JSON a WARN record from
// logger "logbus.tail" with the details as attributes.
func formatNotice(buf []byte, format string, color bool, n textline.Notice) []byte {
	now := time.Now() // when tail saw it: notices carry no time of their own
	if format == "json" {
		rec := n.Record("logbus.tail", now)
		return append(codec.AppendRecordJSON(buf, &rec), '\n')
	}
	if color {
		buf = append(buf, ansiCyan...)
		buf = textline.AppendNotice(buf, now, &n)
		return append(buf[:len(buf)-1], ansiReset+"\n"...)
	}
	return textline.AppendNotice(buf, now, &n)
}
