package pickle

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// textBuilder accumulates code points the way Python strings hold them and
// turns them into valid UTF-8: a high surrogate immediately followed by a low
// one is joined into one character, any other surrogate becomes U+FFFD.
type textBuilder struct {
	buf  []byte
	high rune // pending high surrogate, 0 if none
}

func isHigh(r rune) bool { return r >= 0xD800 && r <= 0xDBFF }
func isLow(r rune) bool  { return r >= 0xDC00 && r <= 0xDFFF }

func (w *textBuilder) cp(r rune) {
	if w.high != 0 && isLow(r) {
		w.buf = utf8.AppendRune(w.buf, utf16.DecodeRune(w.high, r))
		w.high = 0
		return
	}
	w.flush()
	if isHigh(r) {
		w.high = r
		return
	}
	// AppendRune writes U+FFFD for lone low surrogates and invalid runes.
	w.buf = utf8.AppendRune(w.buf, r)
}

func (w *textBuilder) flush() {
	if w.high != 0 {
		w.buf = utf8.AppendRune(w.buf, utf8.RuneError)
		w.high = 0
	}
}

func (w *textBuilder) String() string {
	w.flush()
	return string(w.buf)
}

// decodeUTF8 decodes a str pickled with Python's "utf-8"/"surrogatepass"
// codec (BINUNICODE and friends). Valid UTF-8, the common case, is a single
// copy.
func decodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	w := textBuilder{buf: make([]byte, 0, len(b))}
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < utf8.RuneSelf:
			w.cp(rune(c))
			i++
		case c == 0xED && i+2 < len(b) && b[i+1] >= 0xA0 && b[i+1] <= 0xBF && b[i+2]&0xC0 == 0x80:
			// A surrogate encoded as 3 bytes, which Go's decoder rejects.
			w.cp(0xD000 | rune(b[i+1]&0x3F)<<6 | rune(b[i+2]&0x3F))
			i += 3
		default:
			r, n := utf8.DecodeRune(b[i:])
			w.cp(r)
			i += n
		}
	}
	return w.String()
}

// decodeRawUnicodeEscape decodes the UNICODE opcode argument (Python's
// raw-unicode-escape codec): bytes are Latin-1 code points except that a
// backslash followed by u or U introduces 4 or 8 hex digits; a backslash
// followed by anything else stands for itself and that character.
func decodeRawUnicodeEscape(b []byte) (string, error) {
	w := textBuilder{buf: make([]byte, 0, len(b))}
	for i := 0; i < len(b); {
		c := b[i]
		i++
		if c != '\\' {
			w.cp(rune(c))
			continue
		}
		if i >= len(b) {
			w.cp('\\')
			break
		}
		c = b[i]
		i++
		var n int
		switch c {
		case 'u':
			n = 4
		case 'U':
			n = 8
		default:
			w.cp('\\')
			w.cp(rune(c))
			continue
		}
		if len(b)-i < n {
			return "", fmt.Errorf("%w: truncated \\%c escape in UNICODE", ErrMalformed, c)
		}
		v, err := strconv.ParseUint(string(b[i:i+n]), 16, 32)
		if err != nil || v > utf8.MaxRune {
			return "", fmt.Errorf("%w: bad \\%c escape %q in UNICODE", ErrMalformed, c, b[i:i+n])
		}
		i += n
		w.cp(rune(v))
	}
	return w.String(), nil
}

// decodeStringLiteral decodes the STRING opcode argument: a quoted Python 2
// repr of a byte string, unescaped like codecs.escape_decode.
func decodeStringLiteral(b []byte) (py2str, error) {
	if len(b) < 2 || b[0] != b[len(b)-1] || (b[0] != '\'' && b[0] != '"') {
		return nil, fmt.Errorf("%w: STRING argument must be quoted", ErrMalformed)
	}
	b = b[1 : len(b)-1]
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(b) {
			return nil, fmt.Errorf("%w: trailing backslash in STRING", ErrMalformed)
		}
		c = b[i]
		switch c {
		case '\n':
		case '\\', '\'', '"':
			out = append(out, c)
		case 'a':
			out = append(out, '\a')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, '\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(c - '0')
			for k := 0; k < 2 && i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '7'; k++ {
				i++
				v = v<<3 | int(b[i]-'0')
			}
			out = append(out, byte(v))
		case 'x':
			if i+2 >= len(b) {
				return nil, fmt.Errorf("%w: invalid \\x escape in STRING", ErrMalformed)
			}
			v, err := strconv.ParseUint(string(b[i+1:i+3]), 16, 8)
			if err != nil {
				return nil, fmt.Errorf("%w: invalid \\x escape in STRING", ErrMalformed)
			}
			out = append(out, byte(v))
			i += 2
		default:
			out = append(out, '\\', c)
		}
	}
	return out, nil
}

// py2strValue gives a Python 2 byte string its Go type: text when it is
// valid UTF-8, bytes otherwise.
func py2strValue(b py2str) any {
	if utf8.Valid(b) {
		return string(b)
	}
	return []byte(b)
}

// parseTextInt parses an INT or LONG argument like Python's int(s, 0).
func parseTextInt(s []byte) (any, error) {
	s = bytes.TrimSpace(s)
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	base := 10
	if len(s) > 1 && s[0] == '0' {
		switch s[1] | 0x20 {
		case 'x':
			base = 16
		case 'o':
			base = 8
		case 'b':
			base = 2
		}
		if base != 10 {
			s = s[2:]
		} else if len(bytes.TrimLeft(s, "0")) != 0 {
			return nil, fmt.Errorf("%w: integer %q has leading zeros", ErrMalformed, s)
		}
	}
	if len(s) == 0 {
		return nil, fmt.Errorf("%w: empty integer", ErrMalformed)
	}
	if len(s) > maxIntDigits {
		return nil, fmt.Errorf("%w: integer with %d digits, limit %d", ErrTooLarge, len(s), maxIntDigits)
	}
	digits := string(s)
	if neg {
		digits = "-" + digits
	}
	v, err := strconv.ParseInt(digits, base, 64)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, strconv.ErrRange) {
		return nil, fmt.Errorf("%w: bad integer %q", ErrMalformed, s)
	}
	z, ok := new(big.Int).SetString(digits, base)
	if !ok {
		return nil, fmt.Errorf("%w: bad integer %q", ErrMalformed, s)
	}
	return z, nil
}

// parseTextFloat parses a FLOAT argument like CPython's load_float, which
// accepts decimal and inf/nan spellings but not hex floats or underscores.
func parseTextFloat(s []byte) (float64, error) {
	if bytes.ContainsAny(s, "_xXpP \t\r") {
		return 0, fmt.Errorf("%w: bad float %q", ErrMalformed, s)
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		return 0, fmt.Errorf("%w: bad float %q", ErrMalformed, s)
	}
	return f, nil
}

// decodeLong decodes LONG1/LONG4 payloads: little-endian two's complement.
func decodeLong(b []byte) any {
	if len(b) <= 8 {
		var u uint64
		for i := len(b) - 1; i >= 0; i-- {
			u = u<<8 | uint64(b[i])
		}
		if len(b) > 0 && len(b) < 8 && b[len(b)-1]&0x80 != 0 {
			u |= ^uint64(0) << (8 * uint(len(b)))
		}
		return int64(u)
	}
	be := make([]byte, len(b))
	for i, c := range b {
		be[len(b)-1-i] = c
	}
	z := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		z.Sub(z, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return normInt(z)
}

// normInt returns z as int64 when it fits, keeping *big.Int for the rest.
func normInt(z *big.Int) any {
	if z.IsInt64() {
		return z.Int64()
	}
	return z
}
