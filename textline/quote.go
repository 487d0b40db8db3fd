package textline

import (
	"encoding/binary"
	"strconv"
	"unicode/utf8"
)

// Eight-byte masks for plainPrefix.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainPrefix returns how many leading bytes of s are printable ASCII
// (0x20 to 0x7e), which text output copies unchanged. Messages are
// mostly such bytes, so they are checked eight at a time: a word holds a
// byte below 0x20 when subtracting 0x20 from each byte borrows into its
// high bit, and a byte above 0x7e when adding 1 sets its high bit or the
// bit was already set. A word that trips either test is finished byte by
// byte.
func plainPrefix(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		if ((w-0x20*ones)&^w|(w+ones)|w)&highs != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return i
		}
	}
	return i
}

func appendTextString(dst []byte, s string) []byte {
	if s == "" || needsQuote(s) {
		return strconv.AppendQuote(dst, s)
	}
	return append(dst, s...)
}

func needsQuote(s string) bool {
	for i := 0; i < len(s); {
		switch textClass[s[i]] {
		case textPlain:
			i++
			continue
		case textQuote:
			return true
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return true
		}
		i += size
	}
	return false
}

// Byte classes for needsQuote: a table lookup per byte instead of a chain
// of comparisons, as every key and value of every record passes here.
const (
	textPlain = iota
	textQuote // space, control, '"', '=', '\\', DEL
	textMulti // starts a multi-byte UTF-8 sequence (or is invalid)
)

var textClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = textMulti
		case c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f:
			t[c] = textQuote
		}
	}
	return t
}()

// appendIndented writes s with every line after the first indented, and
// carriage returns and other control characters (but tabs) escaped so
// nothing can start a line that does not belong to the record.
func appendIndented(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		if n := plainPrefix(s[i:]); n > 0 {
			dst = append(dst, s[i:i+n]...)
			if i += n; i == len(s) {
				break
			}
		}
		c := s[i]
		switch {
		case c == '\n':
			dst = append(dst, '\n')
			dst = append(dst, Indent...)
			i++
		case c == '\t' || c >= ' ' && c != 0x7f && c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		case c < utf8.RuneSelf:
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				dst = append(dst, `\ufffd`...)
			case r == '\u2028' || r == '\u2029' || r == '\u0085':
				dst = append(dst, '\n')
				dst = append(dst, Indent...)
			default:
				dst = append(dst, s[i:i+size]...)
			}
			i += size
		}
	}
	return dst
}

const hexDigits = "0123456789abcdef"
