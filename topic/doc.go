// Package topic is the first frame of every logbus message: three ASCII
// bytes that say which system produced a record, what kind of record it is
// and how its payload is encoded, optionally followed by an equipment
// suffix for per-instrument routing.
//
// # Byte layout
//
//	offset  size  meaning
//	0       1     system:   'T' test, 'S' staging, 'P' production
//	1       1     kind:     'L' log record, 'P' performance sample
//	2       1     encoding: 'J' JSON, 'M' msgpack, 'P' Python pickle (read only)
//	3       1     '/'                     } optional equipment suffix:
//	4       n     equipment id (1..128)   } present only together,
//	4+n     1     '/'                     } or not at all
//
// The bare three-byte form ("PLJ") is exactly what distlog's Python
// ZmqHandler sends, so it stays valid forever; the suffix is optional.
//
// # Why a closing slash
//
// ZeroMQ subscriptions match byte prefixes. Without a terminator a
// subscription to "PLM/scope-3" would also receive "PLM/scope-30". The
// equipment id may not contain '/', so "PLM/scope-3/" is a prefix of
// exactly the topics of equipment "scope-3". Equipment ids are limited to
// the characters [A-Za-z0-9._-] (not "." or ".."), the same rule the file
// sink applies to path components, so a topic can never smuggle a path or
// a control byte into a consumer.
//
// The package is a pure leaf: it knows bytes, not sockets.
package topic
