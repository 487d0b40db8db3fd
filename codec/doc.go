// Package codec encodes logbus records and samples in their two wire
// encodings, JSON and msgpack, and decodes every payload a topic can
// carry: logbus's own schema in either encoding, and, through package
// dialect, the dictionaries of Python clients (distlog's in JSON or
// pickle, logbook's) and worker lines. The Decoder parses a JSON or
// pickle payload once into attributes and then reads it as the shape
// dialect.Detect names.
//
// Encoding appends to a caller's buffer and does not allocate once the
// buffer has grown; decoding reuses the destination's attribute slice and
// interns short repeated strings. Round trips are exact: decoding what
// was encoded yields an equal value (JSON replaces invalid UTF-8 with
// U+FFFD, which msgpack carries unchanged).
//
// The package is pure: no sockets, no configuration; it builds on the
// model, topic and dialect. The field names of both encodings are documented in
// docs/wire.md.
package codec
