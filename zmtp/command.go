package zmtp

import (
	"encoding/binary"
)

// Command names (RFC 37 "Commands", RFC 23/24 for PLAIN).
const (
	cmdREADY     = "READY"
	cmdERROR     = "ERROR"
	cmdHELLO     = "HELLO"
	cmdWELCOME   = "WELCOME"
	cmdINITIATE  = "INITIATE"
	cmdPING      = "PING"
	cmdPONG      = "PONG"
	cmdSUBSCRIBE = "SUBSCRIBE"
	cmdCANCEL    = "CANCEL"
)

// maxCommandSize bounds command frames. Commands carry metadata, a reason
// or a subscription; none needs more, and the bound keeps a hostile
// handshake from reserving much memory whatever MaxMsgSize is.
const maxCommandSize = 64 << 10

// maxPingContext is the largest PING context RFC 37 allows.
const maxPingContext = 16

// command is a decoded command frame body.
type command struct {
	name string
	data []byte
}

// parseCommand splits a command frame body into name and data. The name is
// interned for the known commands so the common case does not allocate.
func parseCommand(body []byte) (command, error) {
	if len(body) < 1 {
		return command{}, errorf(ErrProtocol, "empty command frame")
	}
	n := int(body[0])
	if n == 0 || 1+n > len(body) {
		if isMangledError(body) {
			return command{name: cmdERROR, data: body[5:]}, nil
		}
		return command{}, errorf(ErrProtocol, "bad command name length %d", n)
	}
	name := body[1 : 1+n]
	for _, c := range name {
		if c < 0x20 || c > 0x7E {
			return command{}, errorf(ErrProtocol, "non-printable command name")
		}
	}
	return command{name: internName(name), data: body[1+n:]}, nil
}

// isMangledError recognises the ERROR command as libzmq 4.3 sends it when
// a PLAIN login is refused: its first byte, which should be the name
// length 5, is overwritten ("^RROR" followed by the reason). Reading it
// as ERROR reports the refusal for what it is instead of as a protocol
// violation.
func isMangledError(body []byte) bool {
	return len(body) >= 5 && string(body[1:5]) == "RROR"
}

func internName(b []byte) string {
	for _, s := range [...]string{cmdPING, cmdPONG, cmdSUBSCRIBE, cmdCANCEL, cmdREADY, cmdERROR, cmdHELLO, cmdWELCOME, cmdINITIATE} {
		if string(b) == s {
			return s
		}
	}
	return string(b)
}

// appendCommand appends a complete command frame.
func appendCommand(dst []byte, name string, parts ...[]byte) []byte {
	n := 1 + len(name)
	for _, p := range parts {
		n += len(p)
	}
	dst = appendFrameHeader(dst, flagCommand, n)
	dst = append(dst, byte(len(name)))
	dst = append(dst, name...)
	for _, p := range parts {
		dst = append(dst, p...)
	}
	return dst
}

// property is one metadata name/value pair.
type property struct {
	name  string
	value []byte
}

// appendMetadata encodes properties as RFC 37 metadata.
func appendMetadata(dst []byte, props ...property) []byte {
	for _, p := range props {
		dst = append(dst, byte(len(p.name)))
		dst = append(dst, p.name...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(p.value)))
		dst = append(dst, p.value...)
	}
	return dst
}

// parseMetadata decodes metadata. Property names compare case-insensitively
// (RFC 37), so they are returned as sent and looked up with lookupProperty.
func parseMetadata(b []byte) ([]property, error) {
	var props []property
	for len(b) > 0 {
		n := int(b[0])
		if n == 0 || 1+n > len(b) {
			return nil, errorf(ErrProtocol, "bad metadata name length")
		}
		name := string(b[1 : 1+n])
		b = b[1+n:]
		if len(b) < 4 {
			return nil, errorf(ErrProtocol, "truncated metadata value length")
		}
		vn := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(vn) > uint64(len(b)) {
			return nil, errorf(ErrProtocol, "metadata value overruns command")
		}
		props = append(props, property{name: name, value: b[:vn]})
		b = b[vn:]
	}
	return props, nil
}

// lookupProperty finds a property by case-insensitive name.
func lookupProperty(props []property, name string) ([]byte, bool) {
	for _, p := range props {
		if equalFold(p.name, name) {
			return p.value, true
		}
	}
	return nil, false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// parseError extracts the reason of an ERROR command.
func parseError(data []byte) string {
	if len(data) < 1 {
		return ""
	}
	n := int(data[0])
	if 1+n > len(data) {
		n = len(data) - 1
	}
	return string(data[1 : 1+n])
}

// appendError appends an ERROR command with reason (truncated to 255).
func appendError(dst []byte, reason string) []byte {
	if len(reason) > 255 {
		reason = reason[:255]
	}
	return appendCommand(dst, cmdERROR, []byte{byte(len(reason))}, []byte(reason))
}

// parsePing decodes a PING: TTL in tenths of a second and the context to
// echo in the PONG.
func parsePing(data []byte) (ttlDeci uint16, ctx []byte, err error) {
	if len(data) < 2 {
		return 0, nil, errorf(ErrProtocol, "short PING")
	}
	ctx = data[2:]
	if len(ctx) > maxPingContext {
		return 0, nil, errorf(ErrProtocol, "PING context longer than %d bytes", maxPingContext)
	}
	return binary.BigEndian.Uint16(data), ctx, nil
}

// parseHello decodes a PLAIN HELLO body.
func parseHello(data []byte) (user, pass string, err error) {
	if len(data) < 1 {
		return "", "", errorf(ErrProtocol, "short HELLO")
	}
	un := int(data[0])
	if 1+un+1 > len(data) {
		return "", "", errorf(ErrProtocol, "truncated HELLO username")
	}
	user = string(data[1 : 1+un])
	data = data[1+un:]
	pn := int(data[0])
	if 1+pn != len(data) {
		return "", "", errorf(ErrProtocol, "bad HELLO password length")
	}
	return user, string(data[1:]), nil
}
