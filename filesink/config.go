package filesink

import (
	"log/slog"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/defaults"
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
	// CentralSamples is the file under Root for performance samples
	// without equipment (JSON lines, like the samples files).
	// Default "central.samples.jsonl".
	CentralSamples string
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
	// cannot be written (a full disk); beyond it lines are dropped,
	// counted (Stats.Shed) and reported in a DROPPED notice once the
	// central log is writable: the sink never stops reading, so the
	// broker and other archivers do not notice. Default 64 MiB.
	MaxBacklog int
	// Logger receives the sink's own problems (also counted in Stats).
	// Default: discarded.
	Logger *slog.Logger
}

// DefaultConfig returns the configuration a sink has when nothing is
// set: the one source of the defaults that the flags, the YAML files
// (configs/filesink.yaml), logbus up and the tests start from. A zero
// field of a Config given to New takes its value from here.
func DefaultConfig() Config {
	fsync := logbus.LevelError
	return Config{
		Root:            "./logs",
		PathTemplate:    "{equipment}/{host}.log",
		CentralSamples:  "central.samples.jsonl",
		SamplesTemplate: "{equipment}/{host}.samples.jsonl",
		Central:         "central.log",
		Positions:       "logbus.positions",
		CentralMaxBytes: 100 << 20,
		CentralBackups:  5,
		MaxOpen:         256,
		IdleClose:       5 * time.Minute,
		FsyncLevel:      &fsync,
		FlushInterval:   10 * time.Millisecond,
		Format:          "text",
		MaxBacklog:      64 << 20,
	}
}

func (c *Config) withDefaults() Config {
	var r Config
	if c != nil {
		r = *c
	}
	d := DefaultConfig()
	defaults.Fill(&r.Root, d.Root)
	defaults.Fill(&r.PathTemplate, d.PathTemplate)
	defaults.Fill(&r.SamplesTemplate, d.SamplesTemplate)
	defaults.Fill(&r.CentralSamples, d.CentralSamples)
	defaults.Fill(&r.Central, d.Central)
	defaults.Fill(&r.Positions, d.Positions)
	defaults.Fill(&r.Format, d.Format)
	defaults.Fill(&r.CentralBackups, d.CentralBackups)
	defaults.Fill(&r.MaxOpen, d.MaxOpen)
	defaults.Fill(&r.MaxBacklog, d.MaxBacklog)
	defaults.Fill(&r.CentralMaxBytes, d.CentralMaxBytes)
	defaults.Fill(&r.IdleClose, d.IdleClose)
	defaults.Fill(&r.FlushInterval, d.FlushInterval)
	if r.FsyncLevel == nil {
		r.FsyncLevel = d.FsyncLevel
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	return r
}
