// Package logbus is the record model every logbus package shares: a
// Record (one log event) or a Sample (one performance sample), their
// Envelope (time, host, pid, equipment, Run, publisher stream and
// sequence number), Level on slog's scale, attributes as Attr and Value,
// the System that produced them, the Gap of records a stream lost, and
// the name rule for equipment and hosts.
//
// The model says what a record is, not how it travels: the wire
// encodings are in codec, the Python clients' dictionaries in dialect,
// the line people read in textline. The package is pure: no sockets, no
// configuration, no encoding.
//
// A Value, unlike slog.Value, can be encoded and decoded without
// reflection and compared for equality after a round trip, which is
// what every encoding's tests check. The model also states what every
// encoding must respect: times are UTC nanoseconds in int64 (ClampTime,
// UnixNano), values nest at most MaxDepth deep, integers of any size
// have one representation (IntegerValue).
package logbus
