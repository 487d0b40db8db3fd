package codec

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// TextIndent starts every continuation line of a record in text form, so
// that each record, however many lines its message or traceback has,
// begins a line and can be told from the next.
const TextIndent = "    "

// AppendRecordText appends r as people read it, ending with a newline:
//
//	2026-11-22T10:36:11.426Z ERROR [host:lab-7] [equip:scope-3] [run:p/cal/r-1] stage: moved x=3 note="two words"
//	    Traceback (most recent call last):
//	    ...
//
// Attributes follow the message as key=value, groups as dotted keys;
// values with spaces, quotes, '=' or control characters are quoted. A
// multi-line message, and the error text, continue on indented lines.
func AppendRecordText(dst []byte, r *Record) []byte {
	dst = appendTextTime(dst, r.Time)
	dst = append(dst, ' ')
	dst = append(dst, r.Level.String()...)
	dst = appendTextEnvelope(dst, &r.Envelope)
	dst = append(dst, ' ')
	if r.Logger != "" {
		dst = appendTextString(dst, r.Logger)
		dst = append(dst, ':', ' ')
	}
	dst = appendIndented(dst, r.Message)
	dst = appendTextAttrs(dst, r.Attrs)
	if r.Source.File != "" {
		dst = append(dst, " source="...)
		if needsQuote(r.Source.File) {
			dst = strconv.AppendQuote(dst, r.Source.File+":"+strconv.FormatInt(r.Source.Line, 10))
		} else {
			dst = append(dst, r.Source.File...)
			dst = append(dst, ':')
			dst = strconv.AppendInt(dst, r.Source.Line, 10)
		}
	}
	if r.Error != "" {
		dst = append(dst, '\n')
		dst = append(dst, TextIndent...)
		dst = appendIndented(dst, strings.TrimRight(r.Error, "\n"))
	}
	return append(dst, '\n')
}

// AppendSampleText appends s as one line: time, name=value unit, envelope
// and attributes.
func AppendSampleText(dst []byte, s *Sample) []byte {
	dst = appendTextTime(dst, s.Time)
	dst = append(dst, " SAMPLE"...)
	dst = appendTextEnvelope(dst, &s.Envelope)
	dst = append(dst, ' ')
	dst = appendTextString(dst, s.Name)
	dst = append(dst, '=')
	dst = strconv.AppendFloat(dst, s.Value, 'g', -1, 64)
	if s.Unit != "" {
		dst = append(dst, ' ')
		dst = appendTextString(dst, s.Unit)
	}
	dst = appendTextAttrs(dst, s.Attrs)
	return append(dst, '\n')
}

func appendTextTime(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(dst, '-')
	}
	return appendUTCMillis(dst, t)
}

// appendUTCMillis appends t as 2006-01-02T15:04:05.000Z. It is what
// AppendFormat with that layout writes, for years 0 to 9999, without
// interpreting a layout for every record.
func appendUTCMillis(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, "2006-01-02T15:04:05.000Z")
	}
	hour, minute, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	return append(dst,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}

func appendTextEnvelope(dst []byte, e *Envelope) []byte {
	if e.Host != "" {
		dst = append(dst, " [host:"...)
		dst = appendTextWord(dst, e.Host)
		dst = append(dst, ']')
	}
	if e.Equipment != "" {
		dst = append(dst, " [equip:"...)
		dst = appendTextWord(dst, e.Equipment)
		dst = append(dst, ']')
	}
	if e.Run != (Run{}) {
		dst = append(dst, " [run:"...)
		dst = appendTextWord(dst, e.Run.Project)
		dst = append(dst, '/')
		dst = appendTextWord(dst, e.Run.Kind)
		dst = append(dst, '/')
		dst = appendTextWord(dst, e.Run.ID)
		dst = append(dst, ']')
	}
	return dst
}

// appendTextWord writes an envelope value; anything but printable
// characters without brackets or spaces is escaped, so a hostile value
// cannot forge the line's structure.
func appendTextWord(dst []byte, s string) []byte {
	if needsQuote(s) || strings.ContainsAny(s, "[]/") {
		return strconv.AppendQuote(dst, s)
	}
	return append(dst, s...)
}

func appendTextAttrs(dst []byte, attrs []Attr) []byte {
	var stack [8]string
	return appendTextAttrsIn(dst, stack[:0], attrs)
}

// appendTextAttrsIn writes attrs with their group path as a dotted key
// prefix; the path lives on the caller's stack, so nesting costs no
// allocation.
func appendTextAttrsIn(dst []byte, path []string, attrs []Attr) []byte {
	for _, a := range attrs {
		if a.Value.kind == KindGroup {
			if a.Key == "" { // an unnamed group is inlined, as slog does
				dst = appendTextAttrsIn(dst, path, a.Value.kids)
			} else {
				dst = appendTextAttrsIn(dst, append(path, a.Key), a.Value.kids)
			}
			continue
		}
		dst = append(dst, ' ')
		dst = appendTextKey(dst, path, a.Key)
		dst = append(dst, '=')
		switch a.Value.kind {
		case KindString:
			dst = appendTextString(dst, a.Value.str)
		case KindInt, KindUint, KindFloat, KindBool, KindNull, KindBigInt:
			dst = a.Value.appendText(dst) // never needs quotes
		default:
			dst = appendTextString(dst, a.Value.String())
		}
	}
	return dst
}

// appendTextKey writes path.key, quoted as a whole when any part needs it.
func appendTextKey(dst []byte, path []string, key string) []byte {
	if len(path) == 0 {
		return appendTextString(dst, key)
	}
	quote := needsQuote(key) // the joined key is never empty: path parts are not
	for _, p := range path {
		quote = quote || needsQuote(p)
	}
	if quote {
		return strconv.AppendQuote(dst, strings.Join(append(path[:len(path):len(path)], key), "."))
	}
	for _, p := range path {
		dst = append(dst, p...)
		dst = append(dst, '.')
	}
	return append(dst, key...)
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
			dst = append(dst, TextIndent...)
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
				dst = append(dst, TextIndent...)
			default:
				dst = append(dst, s[i:i+size]...)
			}
			i += size
		}
	}
	return dst
}
