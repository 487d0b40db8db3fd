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
	dst = appendTextAttrs(dst, "", r.Attrs)
	if r.Source.File != "" {
		dst = append(dst, " source="...)
		dst = appendTextString(dst, r.Source.File+":"+strconv.FormatInt(r.Source.Line, 10))
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
	dst = appendTextAttrs(dst, "", s.Attrs)
	return append(dst, '\n')
}

func appendTextTime(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(dst, '-')
	}
	return t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z")
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

func appendTextAttrs(dst []byte, prefix string, attrs []Attr) []byte {
	for _, a := range attrs {
		key := a.Key
		if prefix != "" {
			key = prefix + "." + key
		}
		if a.Value.kind == KindGroup {
			dst = appendTextAttrs(dst, key, a.Value.kids)
			continue
		}
		dst = append(dst, ' ')
		dst = appendTextString(dst, key)
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

func appendTextString(dst []byte, s string) []byte {
	if s == "" || needsQuote(s) {
		return strconv.AppendQuote(dst, s)
	}
	return append(dst, s...)
}

func needsQuote(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return true
		}
		i += size
	}
	return false
}

// appendIndented writes s with every line after the first indented, and
// carriage returns and other control characters (but tabs) escaped so
// nothing can start a line that does not belong to the record.
func appendIndented(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
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
