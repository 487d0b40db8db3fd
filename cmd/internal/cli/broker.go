package cli

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/logbus/logbus/broker"
)

// BrokerHTTP is the broker's default HTTP address (/metrics, /healthz).
const BrokerHTTP = "127.0.0.1:5012"

// BrokerFlags adds the broker's flags to fs. configs/broker.yaml
// documents each one under the same name.
func BrokerFlags(fs *pflag.FlagSet) {
	d := broker.DefaultConfig()
	fs.String("ingest", d.Ingest, "endpoint publishers connect to (PULL)")
	fs.String("fanout", d.Fanout, "lossy endpoint for dashboards (PUB)")
	fs.String("archive", d.Archive, `no-drop endpoint for file sinks (PUB with back-pressure); "-" disables`)
	fs.String("fanout-logbook", "", "lossy endpoint sending every log record as logbook's JSON frame, for logbook ZeroMQSubscriber dashboards (PUB); default off")
	fs.Int("fanout-logbook-queue", d.FanoutLogbookQueue, "log messages waiting to be re-encoded for --fanout-logbook; beyond, dropped and counted")
	fs.String("http", BrokerHTTP, `address for /metrics and /healthz; "-" disables`)
	fs.String("ingest-users-file", "", `file of "user:password" lines: publishers must log in with ZMTP PLAIN as one of them`)
	fs.String("upstream", "", "another broker's ingest to forward to")
	fs.String("upstream-user", "", "PLAIN user name for the upstream broker")
	fs.String("upstream-password", "", "PLAIN password for the upstream broker (better: LOGBUS_UPSTREAM_PASSWORD)")
	fs.StringSlice("upstream-prefix", nil, "forward only topics with these prefixes (repeatable); default all")
	fs.String("single-frame-topic", d.SingleFrameTopic, "topic given to single-frame JSON messages (logbook)")
	fs.Int("fanout-queue", d.FanoutQueue, "per-dashboard queue, messages")
	fs.Int("fanout-queue-bytes", d.FanoutQueueBytes, "memory each dashboard's queue may keep alive, bytes (what absorbs a burst); beyond, dropped for that dashboard and counted")
	fs.Int("archive-queue", d.ArchiveQueue, "per-archiver queue, messages (and 4 MiB); beyond it the broker waits for that archiver")
	fs.Int("archive-hold", d.ArchiveHold, "bytes kept per named archiver that went away, within --archive-grace; when full the broker stops reading publishers, and dashboards wait with them")
	fs.Duration("archive-stall-timeout", d.ArchiveStallTimeout, "disconnect an archiver that takes nothing for this long while messages wait for it (its queue is kept for its return)")
	fs.Int("max-archivers", d.MaxArchivers, "named archivers served without loss; more are served like dashboards")
	fs.String("archive-users-file", "", `file of "user:password" lines: archive subscribers must log in with ZMTP PLAIN, and an archiver's name is its user`)
	fs.Int("upstream-queue", d.UpstreamQueue, "messages waiting for the upstream broker; beyond it they are dropped (and reported upstream as a gap)")
	fs.Int("upstream-hold", d.UpstreamHold, "bytes waiting for the upstream broker, like --upstream-queue")
	fs.Int("ingest-queue", d.IngestQueue, "per-publisher read-ahead, messages")
	fs.Int64("max-message-size", d.MaxMessageSize, "largest message accepted, bytes")
	fs.Int("max-peers", d.MaxPeers, "connections per endpoint")
	fs.Duration("drain-timeout", d.DrainTimeout, "shutdown: how long to drain publishers and flush subscribers")
	fs.Duration("reject-report-interval", d.RejectReportInterval, "rejected messages: one summary per peer and reason per interval to the fan-out and archive")
	fs.Int("reject-copy-rate", d.RejectCopyRate, "rejected messages copied to the archive per second (escaped, 4 KiB each; the rest are counted in summaries); -1: none")
	fs.Duration("archive-grace", d.ArchiveGrace, "keep messages this long for a named archiver that went away (a restarting file sink); also, after start-up, for the first archiver to connect")
}

// BrokerFlagSet is the broker command's complete flag set.
func BrokerFlagSet() *pflag.FlagSet {
	fs := pflag.NewFlagSet("broker", pflag.ContinueOnError)
	BrokerFlags(fs)
	CommonFlags(fs)
	return fs
}

// CommonFlags adds --config, --log-level and --pprof.
func CommonFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "YAML configuration file (keys as the flag names)")
	fs.String("log-level", "info", "log level: debug, info, warn, error")
	fs.Bool("pprof", false, "also serve Go's profiler under /debug/pprof/ on --http (keep that address private)")
}

// BrokerConfig reads the broker's configuration and HTTP address.
func BrokerConfig(v *viper.Viper) (broker.Config, string, error) {
	c := broker.Config{
		Ingest:               v.GetString("ingest"),
		Fanout:               v.GetString("fanout"),
		Archive:              v.GetString("archive"),
		FanoutLogbook:        v.GetString("fanout-logbook"),
		FanoutLogbookQueue:   v.GetInt("fanout-logbook-queue"),
		Upstream:             v.GetString("upstream"),
		UpstreamUsername:     v.GetString("upstream-user"),
		UpstreamPassword:     v.GetString("upstream-password"),
		UpstreamPrefixes:     v.GetStringSlice("upstream-prefix"),
		SingleFrameTopic:     v.GetString("single-frame-topic"),
		FanoutQueue:          v.GetInt("fanout-queue"),
		FanoutQueueBytes:     v.GetInt("fanout-queue-bytes"),
		ArchiveQueue:         v.GetInt("archive-queue"),
		UpstreamQueue:        v.GetInt("upstream-queue"),
		UpstreamHold:         v.GetInt("upstream-hold"),
		IngestQueue:          v.GetInt("ingest-queue"),
		MaxMessageSize:       v.GetInt64("max-message-size"),
		MaxPeers:             v.GetInt("max-peers"),
		DrainTimeout:         v.GetDuration("drain-timeout"),
		ArchiveGrace:         v.GetDuration("archive-grace"),
		ArchiveHold:          v.GetInt("archive-hold"),
		ArchiveStallTimeout:  v.GetDuration("archive-stall-timeout"),
		MaxArchivers:         v.GetInt("max-archivers"),
		RejectReportInterval: v.GetDuration("reject-report-interval"),
		RejectCopyRate:       v.GetInt("reject-copy-rate"),
	}
	for name, n := range map[string]int64{
		"fanout-queue": int64(c.FanoutQueue), "fanout-queue-bytes": int64(c.FanoutQueueBytes), "archive-queue": int64(c.ArchiveQueue), "upstream-queue": int64(c.UpstreamQueue), "upstream-hold": int64(c.UpstreamHold),
		"ingest-queue": int64(c.IngestQueue), "max-message-size": c.MaxMessageSize, "max-peers": int64(c.MaxPeers),
		"drain-timeout": int64(c.DrainTimeout), "archive-grace": int64(c.ArchiveGrace),
		"archive-hold": int64(c.ArchiveHold), "archive-stall-timeout": int64(c.ArchiveStallTimeout), "max-archivers": int64(c.MaxArchivers),
		"reject-report-interval": int64(c.RejectReportInterval), "fanout-logbook-queue": int64(c.FanoutLogbookQueue),
	} {
		if n <= 0 {
			return c, "", Configf("--%s must be positive", name)
		}
	}
	if c.RejectCopyRate == 0 {
		c.RejectCopyRate = -1 // 0 on the command line means none, not the default
	}
	for _, ep := range []struct{ name, val string }{{"ingest", c.Ingest}, {"fanout", c.Fanout}, {"archive", c.Archive}, {"upstream", c.Upstream}, {"fanout-logbook", c.FanoutLogbook}} {
		if ep.val == "" || ep.val == "-" {
			if ep.name == "ingest" || ep.name == "fanout" {
				return c, "", Configf("--%s must be set", ep.name)
			}
			continue
		}
		if !strings.HasPrefix(ep.val, "tcp://") && !strings.HasPrefix(ep.val, "ipc://") && !strings.HasPrefix(ep.val, "inproc://") {
			return c, "", Configf("--%s %q: want tcp://host:port or ipc://path", ep.name, ep.val)
		}
	}
	if f := v.GetString("ingest-users-file"); f != "" {
		users, err := readUsers("ingest-users-file", f)
		if err != nil {
			return c, "", err
		}
		c.IngestUsers = users
	}
	if f := v.GetString("archive-users-file"); f != "" {
		users, err := readUsers("archive-users-file", f)
		if err != nil {
			return c, "", err
		}
		c.ArchiveUsers = users
	}
	return c, v.GetString("http"), nil
}

// readUsers reads "user:password" lines; blank lines and lines starting
// with # are skipped.
func readUsers(flag, path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, Configf("--%s: %v", flag, err)
	}
	users := map[string]string{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		u, p, ok := strings.Cut(line, ":")
		if !ok || u == "" || p == "" {
			return nil, Configf("--%s %s line %d: want user:password", flag, path, i+1)
		}
		users[u] = p
	}
	if len(users) == 0 {
		return nil, Configf("--%s %s: no users", flag, path)
	}
	return users, nil
}

// ParseBroker reads the broker command's configuration from args, the
// environment and --config. It returns pflag.ErrHelp for --help and an
// ErrConfig error for anything wrong; see [UsageExit].
func ParseBroker(name string, args []string, stderr io.Writer) (*Broker, error) {
	v, log, err := ParseDaemonFlags(BrokerFlagSet(), name, args, stderr)
	if err != nil {
		return nil, err
	}
	cfg, httpAddr, err := BrokerConfig(v)
	if err != nil {
		return nil, err
	}
	cfg.Logger = log
	return &Broker{Config: cfg, HTTP: httpAddr, Pprof: v.GetBool("pprof")}, nil
}

// Broker is the broker command as a component, in the manner of
// nats-server's Start/Shutdown: [Broker.Open] binds the endpoints and the
// HTTP address, [Broker.Endpoints] and [Broker.HTTPAddr] report what was
// bound, [Broker.Run] forwards until its context ends and then drains,
// and [Broker.Close] releases everything. Tests and `logbus up` run it in
// process and ask it for its endpoints.
type Broker struct {
	Config broker.Config
	HTTP   string // host:port for /metrics and /healthz; "" or "-" disables
	Pprof  bool   // also serve Go's profiler on HTTP

	b         *broker.Broker
	web       *Web
	closeOnce sync.Once
	closeErr  error
}

// Open binds the broker's endpoints and its HTTP address. On error, Close
// releases what was bound.
func (d *Broker) Open() error {
	b, err := broker.New(&d.Config)
	if err != nil {
		return err
	}
	d.b = b
	d.web, err = StartHTTP(d.HTTP, WithProfiler(b.Handler(), d.Pprof), d.logger())
	return err
}

func (d *Broker) logger() *slog.Logger {
	if d.Config.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Config.Logger
}

// Endpoints are the bound ZeroMQ endpoints (after Open).
func (d *Broker) Endpoints() broker.Endpoints { return d.b.Endpoints() }

// HTTPAddr is the HTTP server's URL, or "disabled".
func (d *Broker) HTTPAddr() string { return d.web.Addr() }

// Stats are the broker's counters.
func (d *Broker) Stats() broker.Stats { return d.b.Stats() }

// Run forwards until ctx ends, then drains publishers and flushes the
// subscribers' queues (--drain-timeout).
func (d *Broker) Run(ctx context.Context) error { return d.b.Run(ctx) }

// Close stops the HTTP server and closes the sockets. It is idempotent.
func (d *Broker) Close() error {
	d.closeOnce.Do(func() {
		d.closeErr = d.web.Close()
		if d.b != nil {
			d.closeErr = errors.Join(d.closeErr, d.b.Close())
		}
	})
	return d.closeErr
}

// RunBroker is the broker command: it parses args, runs until ctx ends
// and returns the exit code. name prefixes its messages.
func RunBroker(ctx context.Context, name string, args []string, stderr io.Writer) int {
	d, err := ParseBroker(name, args, stderr)
	if err != nil {
		return UsageExit(name, err, stderr)
	}
	log := d.logger()
	return Serve(ctx, d, d.Open, log, func() {
		eps := d.Endpoints()
		archive := eps.Archive
		if archive == "" {
			archive = "disabled"
		}
		args := []any{"ingest", eps.Ingest, "fanout", eps.Fanout, "archive", archive, "http", d.HTTPAddr()}
		if d.Config.Upstream != "" {
			args = append(args, "upstream", d.Config.Upstream)
		}
		log.Info("broker listening", args...)
	}, func() {
		st := d.Stats()
		log.Info("broker stopped", "in", st.In, "forwarded", st.Forwarded, "rejected", st.Rejected.Total(),
			"fanout_dropped", st.Fanout.Dropped.QueueFull, "unflushed", st.Fanout.Dropped.Linger+st.Archive.Dropped.Linger,
			"upstream_unsent", st.Upstream.Unsent)
	})
}
