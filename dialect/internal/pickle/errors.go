package pickle

import "errors"

// Sentinel errors. Every error returned by this package wraps exactly one of
// them with %w, followed by details such as the opcode and input offset.
var (
	// ErrTruncated means the input ended inside an opcode or before STOP,
	// or a length in the stream claims more bytes than remain.
	ErrTruncated = errors.New("pickle: truncated input")
	// ErrUnsupportedOpcode means an unknown opcode, an unsupported protocol
	// version, or an opcode that needs context a safe decoder refuses to
	// provide (persistent ids, extension codes, out-of-band buffers).
	ErrUnsupportedOpcode = errors.New("pickle: unsupported opcode")
	// ErrTooLarge means a configured limit (bytes, items, depth, digits)
	// was exceeded.
	ErrTooLarge = errors.New("pickle: input exceeds limits")
	// ErrMalformed means the opcodes are individually valid but do not form
	// a pickle Python would accept (stack underflow, missing MARK, unknown
	// memo key, unhashable dict key, bad text literal, ...).
	ErrMalformed = errors.New("pickle: malformed input")
	// ErrRecursive means the pickle describes a container that contains
	// itself, which has no plain-data representation.
	ErrRecursive = errors.New("pickle: recursive structure")
)
