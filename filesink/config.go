package filesink

import (
	"log/slog"
	"time"

	"github.com/logbus/logbus"
)

// Config configures a Sink. A nil *Config, and every zero field, means
// the default.
type Config struct {
	// Root is the directory everything is written under. Default "./logs".
	Root string
	// PathTemplate places log records, relative to Root. Variables:
	// {equipment} {host} {system} {kind} {logger} {date}.
	// Default "{equipment}/{host}.log".
	PathTemplate string
	// SamplesTemplate places performance samples (JSON lines).
	// Default "{equipment}/{host}.samples.jsonl".
	SamplesTemplate string
	// Central is the central log's name under Root, for records without
	// equipment, refused paths, failing destinations and gaps.
	// Default "central.log".
	Central string
	// Positions names the file under Root where the sink keeps, per
	// publisher stream, the last sequence number it wrote, so that after a
	// crash the records lost are reported as gaps (see Sink.Positions).
	// Default "logbus.positions"; "-" keeps none.
	Positions string
	// CentralMaxBytes rotates the central log when it grows past it.
	// Default 100 MiB.
	CentralMaxBytes int64
	// CentralBackups is how many rotated central logs are kept
	// (central.log.1 is the newest). Default 5.
	CentralBackups int
	// MaxOpen bounds the open destination files. Default 256.
	MaxOpen int
	// IdleClose closes a file unused for this long. Default 5 min.
	IdleClose time.Duration
	// FsyncLevel: records at or above it are fsynced before the sink waits
	// for more input. Default ERROR.
	FsyncLevel *logbus.Level
	// FlushInterval bounds how long a record may wait in memory while
	// input keeps arriving; idle input flushes at once. It is also what a
	// crash of the sink can lose from its own memory. Default 10 ms: at
	// full speed that is still a write of megabytes.
	FlushInterval time.Duration
	// Format of log lines: "text" (default) or "json".
	Format string
	// MaxBacklog bounds what waits in memory when even the central log
	// cannot be written; beyond it the sink stops reading input.
	// Default 64 MiB.
	MaxBacklog int
	// Logger receives the sink's own problems (also counted in Stats).
	// Default: discarded.
	Logger *slog.Logger
}

func (c *Config) withDefaults() Config {
	var r Config
	if c != nil {
		r = *c
	}
	if r.Root == "" {
		r.Root = "./logs"
	}
	if r.PathTemplate == "" {
		r.PathTemplate = "{equipment}/{host}.log"
	}
	if r.SamplesTemplate == "" {
		r.SamplesTemplate = "{equipment}/{host}.samples.jsonl"
	}
	if r.Central == "" {
		r.Central = "central.log"
	}
	if r.Positions == "" {
		r.Positions = "logbus.positions"
	}
	if r.CentralMaxBytes <= 0 {
		r.CentralMaxBytes = 100 << 20
	}
	if r.CentralBackups <= 0 {
		r.CentralBackups = 5
	}
	if r.MaxOpen <= 0 {
		r.MaxOpen = 256
	}
	if r.IdleClose <= 0 {
		r.IdleClose = 5 * time.Minute
	}
	if r.FsyncLevel == nil {
		l := logbus.LevelError
		r.FsyncLevel = &l
	}
	if r.FlushInterval <= 0 {
		r.FlushInterval = 10 * time.Millisecond
	}
	if r.Format == "" {
		r.Format = "text"
	}
	if r.MaxBacklog <= 0 {
		r.MaxBacklog = 64 << 20
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	return r
}
