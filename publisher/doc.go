// Package publisher puts a program's log records and performance samples
// on the logbus broker.
//
// A Publisher owns one ZeroMQ PUSH connection and one sender goroutine.
// Records are encoded by the caller into pooled buffers and handed to a
// bounded queue; the caller never waits on the network. When the queue is
// full the record is dropped and counted (or, by option, the caller waits
// a bounded time), and once there is room again the publisher itself
// reports how many records were lost and why, one WARN record per
// episode.
//
// Each Publisher draws a random stream id and numbers its records per
// topic, so subscribers can tell transport loss (a gap) from records they
// filtered out, and a restarted publisher (a new stream) from a gap.
// Records dropped in the publisher's own queue are not gaps: they are
// reported by the WARN record and in Stats.
//
// Handler adapts a Publisher to log/slog. WorkerHandler and Relay are the
// two halves of the worker pattern: a subprocess writes one worker line
// (a JSON object, dialect.AppendWorkerLine) per record on stderr, its
// parent relays the lines to the broker.
package publisher
