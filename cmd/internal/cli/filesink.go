package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/broker"
	"github.com/logbus/logbus/filesink"
	"github.com/logbus/logbus/subscriber"
)

// FilesinkHTTP is the file sink's default HTTP address.
const FilesinkHTTP = "127.0.0.1:5013"

// FilesinkFlags adds the file sink's flags to fs (without --connect and
// --http, which differ between `filesink` and `logbus up`).
// configs/filesink.yaml documents each one under the same name.
func FilesinkFlags(fs *pflag.FlagSet) {
	d := filesink.DefaultConfig()
	fs.String("root", d.Root, "directory everything is written under")
	fs.String("path-template", d.PathTemplate, "where log records go under --root; variables {equipment} {host} {system} {kind} {logger} {date}")
	fs.String("samples-template", d.SamplesTemplate, "where performance samples go (JSON lines)")
	fs.String("central", d.Central, "central log name under --root: no equipment, refused paths, failing destinations, gaps")
	fs.String("positions", d.Positions, `file under --root keeping the last sequence number written per publisher stream, so records lost in a crash are reported as gaps after a restart; "-" keeps none`)
	fs.Int64("central-max-bytes", d.CentralMaxBytes, "rotate the central log past this size")
	fs.Int("central-backups", d.CentralBackups, "rotated central logs kept")
	fs.Int("max-open", d.MaxOpen, "open destination files at most")
	fs.Duration("idle-close", d.IdleClose, "close a file unused this long")
	fs.String("fsync-level", d.FsyncLevel.String(), "records at or above this level are fsynced before the sink waits for more input")
	fs.Duration("flush-interval", d.FlushInterval, "longest a record waits in memory while input keeps coming")
	fs.String("format", d.Format, "line format: text or json")
	fs.Int("max-backlog", d.MaxBacklog, "bytes held in memory while the central log cannot be written; beyond it the sink stops reading")
}

// FilesinkFlagSet is the filesink command's complete flag set.
func FilesinkFlagSet() *pflag.FlagSet {
	fs := pflag.NewFlagSet("filesink", pflag.ContinueOnError)
	FilesinkConnectFlag(fs)
	FilesinkFlags(fs)
	fs.String("http", FilesinkHTTP, `address for /metrics and /healthz; "-" disables`)
	CommonFlags(fs)
	return fs
}

// SinkReadAhead bounds the messages a file sink reads ahead of what it
// has written. What it has read is lost if it crashes; what it has not,
// the broker keeps and hands to the restarted sink, so a small read-ahead
// (a few megabytes) keeps crash losses small without slowing it down.
const SinkReadAhead = 256

// FilesinkConnectFlag adds --connect (the broker endpoint to read).
func FilesinkConnectFlag(fs *pflag.FlagSet) {
	fs.String("connect", broker.DefaultArchive, "broker endpoint to read: the no-drop archive fan-out")
}

// FilesinkConfig reads the file sink's configuration.
func FilesinkConfig(v *viper.Viper) (filesink.Config, error) {
	level, ok := logbus.ParseLevel(v.GetString("fsync-level"))
	if !ok {
		return filesink.Config{}, Configf("--fsync-level %q: want DEBUG, INFO, WARN, ERROR or CRITICAL", v.GetString("fsync-level"))
	}
	c := filesink.Config{
		Root:            v.GetString("root"),
		PathTemplate:    v.GetString("path-template"),
		SamplesTemplate: v.GetString("samples-template"),
		Central:         v.GetString("central"),
		Positions:       v.GetString("positions"),
		CentralMaxBytes: v.GetInt64("central-max-bytes"),
		CentralBackups:  v.GetInt("central-backups"),
		MaxOpen:         v.GetInt("max-open"),
		IdleClose:       v.GetDuration("idle-close"),
		FsyncLevel:      &level,
		FlushInterval:   v.GetDuration("flush-interval"),
		Format:          v.GetString("format"),
		MaxBacklog:      v.GetInt("max-backlog"),
	}
	for name, n := range map[string]int64{
		"central-max-bytes": c.CentralMaxBytes, "central-backups": int64(c.CentralBackups), "max-open": int64(c.MaxOpen),
		"idle-close": int64(c.IdleClose), "flush-interval": int64(c.FlushInterval), "max-backlog": int64(c.MaxBacklog),
	} {
		if n <= 0 {
			return c, Configf("--%s must be positive", name)
		}
	}
	if c.Root == "" {
		return c, Configf("--root must be set")
	}
	return c, nil
}

// RunFilesink is the filesink command: it parses args, runs until ctx
// ends and returns the exit code. name prefixes its messages.
func RunFilesink(ctx context.Context, name string, args []string, stderr io.Writer) int {
	fs := FilesinkFlagSet()
	v, log, code, ok := ParseDaemonFlags(fs, name, args, stderr)
	if !ok {
		return code
	}
	cfg, err := FilesinkConfig(v)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return ExitUsage
	}
	cfg.Logger = log
	return serveFilesink(ctx, cfg, v.GetString("connect"), v.GetString("http"), v.GetBool("pprof"), log)
}

// serveFilesink runs a file sink reading connect until ctx ends.
func serveFilesink(ctx context.Context, cfg filesink.Config, connect, httpAddr string, pprof bool, log *slog.Logger) int {
	sink, err := filesink.New(&cfg)
	if err != nil {
		log.Error("cannot start", "err", err)
		if IsConfigError(err) {
			return ExitUsage
		}
		return ExitFailure
	}
	// Resuming from the positions makes records lost while the sink was
	// down (a crash) show up as gaps.
	sub, err := subscriber.Dial(ctx, connect, &subscriber.Options{Resume: sink.Positions(), QueueMessages: SinkReadAhead})
	if err != nil {
		log.Error("cannot start", "err", err)
		return Join(ExitUsage, sink.Close(), log)
	}
	web, err := StartHTTP(httpAddr, WithProfiler(sink.Handler(), pprof), log)
	if err != nil {
		log.Error("cannot start HTTP", "err", err)
		code := Join(ExitUsage, sub.Close(), log)
		return Join(code, sink.Close(), log)
	}
	stopHUP := OnReopen(sink.Reopen)
	defer stopHUP()
	log.Info("file sink running", "connect", connect, "root", cfg.Root, "http", web.Addr())
	code := ExitOK
	if err := sink.Run(ctx, sub); err != nil {
		log.Error("file sink stopped", "err", err)
		code = ExitFailure
	}
	code = Join(code, web.Close(), log)
	code = Join(code, sub.Close(), log)
	code = Join(code, sink.Close(), log)
	st := sink.Stats()
	log.Info("file sink stopped", "records", st.Records, "fsyncs", st.Fsyncs, "central", st.Central,
		"refused", st.Refused, "gaps", st.Gaps, "missing", st.Missing)
	return code
}
