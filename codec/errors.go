package codec

import "errors"

// Errors returned by the decoders. Each wrapped error says where and why.
var (
	// ErrMessage: the frames of a message do not form a record message.
	ErrMessage = errors.New("codec: malformed message")
	// ErrJSON: the payload is not JSON (Python's dialect included).
	ErrJSON = errors.New("codec: malformed JSON")
	// ErrMsgpack: the payload is not valid msgpack.
	ErrMsgpack = errors.New("codec: malformed msgpack")
	// ErrPickle: the pickle payload could not be read as plain data.
	ErrPickle = errors.New("codec: unreadable pickle")
	// ErrSchema: the payload decoded but is not a record or sample.
	ErrSchema = errors.New("codec: not a record")
	// ErrTooDeep: nesting beyond logbus.MaxDepth.
	ErrTooDeep = errors.New("codec: nesting too deep")
	// ErrEncoding: the encoding cannot be written (pickle is read-only).
	ErrEncoding = errors.New("codec: unsupported encoding")
)
