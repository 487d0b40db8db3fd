package textline

import (
	"strconv"
	"strings"
	"time"

	"github.com/logbus/logbus"
)

// Indent starts every continuation line of a record, so that each
// record, however many lines its message or traceback has, begins a line
// and can be told from the next.
const Indent = "    "

// AppendRecord appends r as people read it, ending with a newline:
//
//	2026-11-22T10:36:11.426Z ERROR [host:lab-7] [equip:scope-3] [run:p/cal/r-1] stage: moved x=3 note="two words"
//	    Traceback (most recent call last):
//	    ...
//
// Attributes follow the message as key=value, groups as dotted keys;
// values with spaces, quotes, '=' or control characters are quoted. A
// multi-line message, and the error text, continue on indented lines.
func AppendRecord(dst []byte, r *logbus.Record) []byte {
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
		dst = append(dst, Indent...)
		dst = appendIndented(dst, strings.TrimRight(r.Error, "\n"))
	}
	return append(dst, '\n')
}

// AppendSample appends s as one line: time, name=value unit, envelope
// and attributes.
func AppendSample(dst []byte, s *logbus.Sample) []byte {
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

func appendTextEnvelope(dst []byte, e *logbus.Envelope) []byte {
	if e.System.Valid() && e.System != logbus.Production {
		// Test and staging records are marked: they may share a file
		// with production ones.
		dst = append(dst, " [sys:"...)
		dst = append(dst, byte(e.System), ']')
	}
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
	if e.Run != (logbus.Run{}) {
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

func appendTextAttrs(dst []byte, attrs []logbus.Attr) []byte {
	var stack [8]string
	return appendTextAttrsIn(dst, stack[:0], attrs)
}

// appendTextAttrsIn writes attrs with their group path as a dotted key
// prefix; the path lives on the caller's stack, so nesting costs no
// allocation.
func appendTextAttrsIn(dst []byte, path []string, attrs []logbus.Attr) []byte {
	// Attributes are reached through a pointer and their kind read once:
	// a Value is too large to live in registers, so each copy of one (a
	// range variable, a method's receiver) costs a trip through memory.
	for i := range attrs {
		a := &attrs[i]
		kind := a.Value.Kind()
		if kind == logbus.KindGroup {
			if a.Key == "" { // an unnamed group is inlined, as slog does
				dst = appendTextAttrsIn(dst, path, a.Value.Group())
			} else {
				dst = appendTextAttrsIn(dst, append(path, a.Key), a.Value.Group())
			}
			continue
		}
		dst = append(dst, ' ')
		dst = appendTextKey(dst, path, a.Key)
		dst = append(dst, '=')
		switch kind {
		case logbus.KindString:
			dst = appendTextString(dst, a.Value.Str())
		case logbus.KindInt, logbus.KindUint, logbus.KindFloat, logbus.KindBool, logbus.KindNull, logbus.KindBigInt:
			dst = a.Value.AppendString(dst) // never needs quotes
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
