// Package textline renders what people read: a record or a sample as one
// text line (continuation lines indented), and the notice lines logbus
// writes about the stream itself (GAP, DECODE-ERROR, REFUSED,
// DESTINATION-ERROR, DESTINATION-FAILING) in text or as a JSON record.
// The file sink and logbus tail write exactly these lines.
//
// A line can be grepped and split safely: attribute values with spaces,
// quotes, '=' or control characters are quoted, envelope values are
// escaped so that they cannot forge the line's structure, and nothing
// but a record's own continuation can start a line with the indent.
//
// The package is a pure leaf over the model.
package textline
