// Package subscriber receives records and samples from a logbus broker's
// fan-out, decoded, with loss made visible.
//
// Publishers number their records per stream and topic; the subscriber
// checks the numbers and reports a Gap event, with the stream, host, pid
// and how many records are missing, whenever some did not arrive. Joining
// a stream late and a publisher restart (a new stream id) are not gaps.
// Records that cannot be decoded are reported as events with the reason,
// never skipped silently.
//
// Positions is the one record of where publisher streams stand (stream
// and topic to the last sequence number): the gap detection keeps one,
// and the file sink keeps one for its positions file, from which a
// restarted consumer resumes (Options.Resume).
package subscriber
