package pickle

import "fmt"

// Default limits used by Decode and for zero fields of Limits. They are far
// above what a log record needs and far below what would hurt the process.
const (
	DefaultMaxBytes = 16 << 20
	DefaultMaxItems = 1 << 20
	DefaultMaxDepth = 256
)

// maxIntDigits mirrors CPython's default int_max_str_digits: text integers
// longer than this are refused because converting them is quadratic.
const maxIntDigits = 4300

// Limits bounds the resources one Decode may use. A nil *Limits or a zero
// field means the default.
type Limits struct {
	// MaxBytes caps the length of the pickle. Default DefaultMaxBytes.
	MaxBytes int
	// MaxItems caps the values held on the stack, the values inserted into
	// containers, and the values in the returned tree (shared references
	// are counted each time they appear, so a small pickle cannot expand
	// into a huge result). Default DefaultMaxItems.
	MaxItems int
	// MaxDepth caps the nesting of containers in the result and of tuples
	// used as keys. Default DefaultMaxDepth.
	MaxDepth int
}

func (l *Limits) withDefaults() Limits {
	var out Limits
	if l != nil {
		out = *l
	}
	if out.MaxBytes <= 0 {
		out.MaxBytes = DefaultMaxBytes
	}
	if out.MaxItems <= 0 {
		out.MaxItems = DefaultMaxItems
	}
	if out.MaxDepth <= 0 {
		out.MaxDepth = DefaultMaxDepth
	}
	return out
}

// Decode parses one pickle (protocols 0-5) into plain Go values without
// executing anything, using the default limits. Bytes after STOP are
// ignored, as pickle.loads does.
func Decode(data []byte) (any, error) {
	return DecodeLimits(data, nil)
}

// DecodeLimits is Decode with explicit limits; nil means the defaults.
func DecodeLimits(data []byte, limits *Limits) (any, error) {
	lim := limits.withDefaults()
	if len(data) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), lim.MaxBytes)
	}
	d := decoder{in: data, lim: lim}
	return d.run()
}
