// Package pickle decodes Python pickles (protocols 0 to 5) into plain Go
// values without executing anything.
//
// Python's own unpickler is a small virtual machine whose GLOBAL, REDUCE,
// BUILD, NEWOBJ, INST and OBJ instructions import arbitrary modules and call
// arbitrary callables, so unpickling untrusted bytes in Python runs code. This
// package implements the same machine but never imports or calls anything:
//
//   - Plain-data opcodes (ints, floats, strings, bytes, lists, tuples, dicts,
//     sets, the memo and the MARK stack) build ordinary Go values.
//   - A global reference only ever becomes a [Global] value holding two
//     strings. Applying it (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ) consults a
//     fixed whitelist of constructors that are re-implemented here as pure
//     data transformations: datetime.datetime, datetime.date,
//     datetime.timedelta, datetime.timezone, _codecs.encode (how protocols
//     0-2 carry bytes), collections.OrderedDict, builtins set, frozenset,
//     bytes and bytearray, and copyreg._reconstructor. Anything else, and any
//     whitelisted call whose arguments are not of the shape CPython itself
//     produces, is recorded as an [Object] value (class, arguments, state and
//     items) so that nothing is lost and nothing is guessed.
//   - Persistent ids (PERSID, BINPERSID), extension codes (EXT1, EXT2, EXT4)
//     and out-of-band buffers (NEXT_BUFFER) are refused with
//     [ErrUnsupportedOpcode]; CPython's default unpickler refuses them too.
//
// Because the input is hostile, every length read from the stream is checked
// against the bytes that remain before anything is allocated, the number of
// values and the nesting depth are capped (see [Limits]), recursive
// structures are rejected rather than followed, and no input makes the
// decoder panic (the package is fuzzed).
//
// Value mapping: None is nil, bool is bool, int is int64 or *big.Int when it
// does not fit, float is float64, str is string, bytes and bytearray are
// []byte, list is []any, tuple is [Tuple], dict is *[Dict] (insertion order
// kept), set and frozenset are [Set], datetime is time.Time (naive values use
// the [Naive] location), date is time.Time at midnight in [Naive], timedelta
// is time.Duration and timezone is a fixed-offset *time.Location.
//
// Strings follow Python's surrogatepass encoding: a surrogate pair encoded as
// two 3-byte sequences is joined into one character, a lone surrogate (as
// produced by surrogateescape, e.g. "\udcff") becomes U+FFFD, and any other
// invalid UTF-8 byte also becomes U+FFFD rather than failing the record.
// Protocol 0-2 byte strings written by Python 2 (STRING, BINSTRING,
// SHORT_BINSTRING) become string when they are valid UTF-8 and []byte
// otherwise.
package pickle
