package logbus

import (
	"errors"
	"fmt"
)

// MaxNameLen bounds a name: an equipment id or a host as it appears in a
// topic suffix or a file path.
const MaxNameLen = 128

// ErrName is wrapped by CheckName: a string is not a valid name.
var ErrName = errors.New("logbus: invalid name")

// ValidName reports whether s may name equipment or a host where it
// becomes part of a topic frame or a file path: 1 to MaxNameLen bytes
// of [A-Za-z0-9._-], not "." or "..". Neither a path separator nor a
// control byte can pass, so a name can never smuggle a path into the
// file sink or a second topic into a subscription. It does not
// allocate: publishers call it for every record.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > MaxNameLen || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !NameByte(s[i]) {
			return false
		}
	}
	return true
}

// CheckName is ValidName with the reason: nil, or an error wrapping
// ErrName that says what is wrong (the length, a dot name, the first
// byte not allowed).
func CheckName(s string) error {
	switch {
	case len(s) == 0 || len(s) > MaxNameLen:
		return fmt.Errorf("%w: length %d", ErrName, len(s))
	case s == "." || s == "..":
		return fmt.Errorf("%w: %q", ErrName, s)
	}
	for i := 0; i < len(s); i++ {
		if !NameByte(s[i]) {
			return fmt.Errorf("%w: byte %q", ErrName, s[i])
		}
	}
	return nil
}

// NameByte reports whether c may appear in a name: [A-Za-z0-9._-]. The
// file sink checks the literal parts of its path templates with it.
func NameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}
