// Package jsonvalue reads and writes logbus Values as JSON text: the one
// tokenizer under codec's JSON encoding and the worker lines of package
// dialect, so that both speak the same JSON (Python's dialect read, the
// tagged forms of values JSON lacks written and read back).
//
// It knows values, not records: which keys make a record is codec's and
// dialect's business.
package jsonvalue
