// Package dialect reads the record shapes of logbus's peers that do not
// speak logbus's schema, and writes the one such shape logbus produces:
// distlog's record dictionaries (logging.LogRecord.__dict__, in JSON or
// pickle), logbook's (LogRecord.to_dict()), and the worker line a
// subprocess writes on stderr ({"level","message","context"}), both
// halves of its protocol.
//
// It works on decoded dictionaries: codec parses a payload once into
// attributes, Detect names its shape, Read fills a logbus.Record from it.
// Pickle payloads are read by a reader that only builds plain data and
// never runs code (ReadPickle). Every reader degrades rather than fails:
// a field of an unexpected type stays an attribute under its own key.
//
// The package is a pure leaf over the model: no sockets, no
// configuration.
package dialect
