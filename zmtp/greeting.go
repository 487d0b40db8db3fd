package zmtp

import (
	"bytes"
)

// The greeting is the fixed 64-byte preamble each side sends first
// (RFC 37 section "Greeting"): a 10-byte signature, the version, the
// security mechanism name, the as-server flag and zero filler.
const (
	greetingSize      = 64
	signatureSize     = 10
	mechanismFieldLen = 20
	versionMajor      = 3
	versionMinor      = 1
)

const (
	mechNULL  = "NULL"
	mechPLAIN = "PLAIN"
)

// greeting is a decoded greeting.
type greeting struct {
	major, minor byte
	mechanism    string
	asServer     bool
}

// appendGreeting appends our greeting's wire form to dst.
func appendGreeting(dst []byte, g greeting) []byte {
	var b [greetingSize]byte
	b[0] = 0xFF
	b[9] = 0x7F
	b[10] = g.major
	b[11] = g.minor
	copy(b[12:12+mechanismFieldLen], g.mechanism)
	if g.asServer {
		b[32] = 1
	}
	return append(dst, b[:]...)
}

// checkSignature validates the first 10 bytes of a greeting. It is checked
// on its own so that a peer speaking another protocol is refused without
// waiting for the rest of the greeting.
func checkSignature(b []byte) error {
	if len(b) < signatureSize {
		return errorf(ErrGreeting, "short signature")
	}
	if b[0] != 0xFF || b[9]&1 != 1 {
		return errorf(ErrGreeting, "bad signature % x", b[:signatureSize])
	}
	return nil
}

// parseGreeting decodes a full 64-byte greeting. Versions 3.x are accepted
// (a minor version above 1 is treated as 3.1, as RFC 37 asks); anything
// older is refused.
func parseGreeting(b []byte) (greeting, error) {
	var g greeting
	if len(b) < greetingSize {
		return g, errorf(ErrGreeting, "short greeting (%d bytes)", len(b))
	}
	if err := checkSignature(b); err != nil {
		return g, err
	}
	g.major, g.minor = b[10], b[11]
	if g.major < 3 {
		return g, errorf(ErrVersion, "peer speaks ZMTP %d.%d", g.major, g.minor)
	}
	mech := b[12 : 12+mechanismFieldLen]
	if i := bytes.IndexByte(mech, 0); i >= 0 {
		for _, c := range mech[i:] {
			if c != 0 {
				return g, errorf(ErrGreeting, "mechanism name not NUL padded")
			}
		}
		mech = mech[:i]
	}
	if len(mech) == 0 {
		return g, errorf(ErrGreeting, "empty mechanism name")
	}
	for _, c := range mech {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '+') {
			return g, errorf(ErrGreeting, "invalid mechanism name %q", mech)
		}
	}
	g.mechanism = string(mech)
	switch b[32] {
	case 0:
	case 1:
		g.asServer = true
	default:
		return g, errorf(ErrGreeting, "as-server flag %d", b[32])
	}
	return g, nil
}

// is31 reports whether the peer speaks ZMTP 3.1 or later, which decides
// between SUBSCRIBE commands and the 3.0 subscription messages.
func (g greeting) is31() bool { return g.major > 3 || g.minor >= 1 }
