// Package codec is the logbus record model and its two wire encodings,
// JSON and msgpack, plus the readers for what real Python clients send
// (distlog's LogRecord dictionaries in JSON or pickle, logbook's to_dict
// JSON).
//
// A Record is one log event; a Sample is one performance measurement.
// Both carry the same envelope: time, host, pid, equipment, run context
// and the publisher's stream id and sequence number, so a subscriber can
// tell loss from filtering.
//
// Encoding appends to a caller's buffer and does not allocate once the
// buffer has grown; decoding reuses the destination's attribute slice and
// interns short repeated strings. Round trips are exact: decoding what
// was encoded yields an equal value (JSON replaces invalid UTF-8 with
// U+FFFD, which msgpack carries unchanged).
//
// The package is a pure leaf: no sockets, no configuration. The field
// names of both encodings are documented in docs/wire.md.
package codec
