package cli

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

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
	fs.String("central-samples", d.CentralSamples, "file under --root for performance samples without equipment (JSON lines)")
	fs.String("positions", d.Positions, `file under --root keeping the last sequence number written per publisher stream, so records lost in a crash are reported as gaps after a restart; "-" keeps none`)
	fs.Int64("central-max-bytes", d.CentralMaxBytes, "rotate the central log past this size")
	fs.Int("central-backups", d.CentralBackups, "rotated central logs kept")
	fs.Int("max-open", d.MaxOpen, "open destination files at most")
	fs.Duration("idle-close", d.IdleClose, "close a file unused this long")
	fs.String("fsync-level", d.FsyncLevel.String(), "records at or above this level are fsynced before the sink waits for more input")
	fs.Duration("flush-interval", d.FlushInterval, "longest a record waits in memory while input keeps coming")
	fs.String("format", d.Format, "line format: text or json")
	fs.Int("max-backlog", d.MaxBacklog, "bytes held in memory while the central log cannot be written (a full disk); beyond it lines are dropped, counted and reported in a DROPPED notice: the sink never stops reading")
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

// FilesinkConnectFlag adds --connect (the broker endpoint to read) and
// how the sink logs in and names itself there.
func FilesinkConnectFlag(fs *pflag.FlagSet) {
	fs.String("connect", broker.DefaultArchive, "broker endpoint to read: the no-drop archive fan-out")
	fs.String("archiver-name", "", `name declared to the broker, which keeps what arrives while the sink is away under it; default "filesink:<host>:<root>"`)
	fs.String("archive-user", "", "PLAIN user for a broker whose archive requires a login (its name as archiver)")
	fs.String("archive-password", "", "PLAIN password of --archive-user (better: LOGBUS_ARCHIVE_PASSWORD)")
}

// ArchiverName is the name a file sink declares to the broker when none
// is configured: stable across restarts of the same sink, different for
// two sinks on one machine.
func ArchiverName(root string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	name := "filesink:" + host + ":" + root
	if len(name) > 255 {
		name = name[:255]
	}
	return name
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
		CentralSamples:  v.GetString("central-samples"),
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

// ParseFilesink reads the filesink command's configuration from args,
// the environment and --config. It returns pflag.ErrHelp for --help and
// an ErrConfig error for anything wrong; see [UsageExit].
func ParseFilesink(name string, args []string, stderr io.Writer) (*Filesink, error) {
	v, log, err := ParseDaemonFlags(FilesinkFlagSet(), name, args, stderr)
	if err != nil {
		return nil, err
	}
	cfg, err := FilesinkConfig(v)
	if err != nil {
		return nil, err
	}
	cfg.Logger = log
	return &Filesink{Config: cfg, Connect: v.GetString("connect"), HTTP: v.GetString("http"), Pprof: v.GetBool("pprof"),
		Archiver: v.GetString("archiver-name"), User: v.GetString("archive-user"), Password: v.GetString("archive-password")}, nil
}

// Filesink is the filesink command as a component: [Filesink.Open]
// prepares the root, connects to the broker's archive endpoint and binds
// the HTTP address; [Filesink.Run] writes until its context ends, then
// writes and syncs what it holds; [Filesink.Close] releases everything.
// SIGHUP reopens every file (logrotate) while it is open.
type Filesink struct {
	Config  filesink.Config
	Connect string // the broker's archive endpoint
	// Archiver is the name declared to the broker; "" is ArchiverName.
	Archiver string
	// User and Password log in to an archive endpoint that requires PLAIN.
	User, Password string
	HTTP           string // host:port for /metrics and /healthz; "" or "-" disables
	Pprof          bool   // also serve Go's profiler on HTTP

	sink      *filesink.Sink
	sub       *subscriber.Subscriber
	web       *Web
	stopHUP   func()
	closeOnce sync.Once
	closeErr  error
}

// Open starts the sink and its subscription. The subscription connects
// in the background: Open does not wait for the broker. On error, Close
// releases what was started.
func (d *Filesink) Open(ctx context.Context) (err error) {
	if d.sink, err = filesink.New(&d.Config); err != nil {
		return err
	}
	// Resuming from the positions makes records lost while the sink was
	// down (a crash) show up as gaps.
	name := d.archiverName()
	if d.sub, err = subscriber.Dial(ctx, d.Connect, &subscriber.Options{Resume: d.sink.Positions(), ResumeLinks: d.sink.LinkPositions(), QueueMessages: SinkReadAhead,
		Archiver: name, PlainUsername: d.User, PlainPassword: d.Password, Logger: d.logger()}); err != nil {
		return err
	}
	if d.web, err = StartHTTP(d.HTTP, WithProfiler(d.sink.Handler(), d.Pprof), d.logger()); err != nil {
		return err
	}
	d.stopHUP = OnReopen(d.sink.Reopen)
	return nil
}

func (d *Filesink) archiverName() string {
	if d.Archiver != "" {
		return d.Archiver
	}
	return ArchiverName(d.Config.Root)
}

func (d *Filesink) logger() *slog.Logger {
	if d.Config.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Config.Logger
}

// HTTPAddr is the HTTP server's URL, or "disabled".
func (d *Filesink) HTTPAddr() string { return d.web.Addr() }

// Stats are the sink's counters.
func (d *Filesink) Stats() filesink.Stats { return d.sink.Stats() }

// Run writes what the broker archives until ctx ends.
func (d *Filesink) Run(ctx context.Context) error { return d.sink.Run(ctx, d.sub) }

// Close stops the HTTP server, the subscription and the sink (which syncs
// its files). It is idempotent.
func (d *Filesink) Close() error {
	d.closeOnce.Do(func() {
		if d.stopHUP != nil {
			d.stopHUP()
		}
		d.closeErr = d.web.Close()
		if d.sub != nil {
			d.closeErr = errors.Join(d.closeErr, d.sub.Close())
		}
		if d.sink != nil {
			d.closeErr = errors.Join(d.closeErr, d.sink.Close())
		}
	})
	return d.closeErr
}

// RunFilesink is the filesink command: it parses args, runs until ctx
// ends and returns the exit code. name prefixes its messages.
func RunFilesink(ctx context.Context, name string, args []string, stderr io.Writer) int {
	d, err := ParseFilesink(name, args, stderr)
	if err != nil {
		return UsageExit(name, err, stderr)
	}
	log := d.logger()
	return Serve(ctx, d, func() error { return d.Open(ctx) }, log, func() {
		log.Info("file sink running", "connect", d.Connect, "archiver", d.archiverName(), "root", d.Config.Root, "http", d.HTTPAddr())
	}, func() {
		st := d.Stats()
		log.Info("file sink stopped", "records", st.Records, "fsyncs", st.Fsyncs, "central", st.Central,
			"refused", st.Refused, "gaps", st.Gaps, "missing", st.Missing)
	})
}
