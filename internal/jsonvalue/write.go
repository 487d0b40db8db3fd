package jsonvalue

import (
	"encoding/base64"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/logbus/logbus"
)

// AppendValue appends v in logbus's JSON form: scalars as JSON has them
// (floats always with a '.' or exponent, so they read back as floats),
// the values JSON lacks as tagged one-key objects, groups as objects
// keeping their order, lists as arrays. Nesting beyond logbus.MaxDepth is
// written as null.
func AppendValue(dst []byte, v logbus.Value) []byte { return appendValue(dst, &v, 0) }

// appendValue takes v by pointer: a Value is too large for registers, and
// reading a just-spilled copy for each accessor stalls store forwarding.
func appendValue(dst []byte, v *logbus.Value, depth int) []byte {
	switch v.Kind() {
	case logbus.KindNull:
		return append(dst, "null"...)
	case logbus.KindBool:
		return strconv.AppendBool(dst, v.Bool())
	case logbus.KindInt:
		return strconv.AppendInt(dst, v.Int64(), 10)
	case logbus.KindUint:
		return strconv.AppendUint(dst, v.Uint64(), 10)
	case logbus.KindBigInt:
		return append(dst, v.Str()...)
	case logbus.KindFloat:
		f := v.Float64()
		switch {
		case math.IsNaN(f):
			return append(dst, `{"`+TagFloat+`":"NaN"}`...)
		case math.IsInf(f, 1):
			return append(dst, `{"`+TagFloat+`":"Infinity"}`...)
		case math.IsInf(f, -1):
			return append(dst, `{"`+TagFloat+`":"-Infinity"}`...)
		}
		return AppendFloat(dst, f)
	case logbus.KindString:
		return AppendString(dst, v.Str())
	case logbus.KindBytes:
		dst = append(dst, `{"`+TagBytes+`":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, []byte(v.Str()))
		return append(dst, `"}`...)
	case logbus.KindTime:
		dst = append(dst, `{"`+TagTime+`":"`...)
		dst = v.Time().AppendFormat(dst, time.RFC3339Nano)
		return append(dst, `"}`...)
	case logbus.KindDuration:
		dst = append(dst, `{"`+TagDuration+`":`...)
		dst = strconv.AppendInt(dst, int64(v.Duration()), 10)
		return append(dst, '}')
	case logbus.KindList:
		if depth >= logbus.MaxDepth {
			return append(dst, "null"...)
		}
		dst = append(dst, '[')
		for i := range v.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			e := v.Index(i)
			dst = appendValue(dst, &e, depth+1)
		}
		return append(dst, ']')
	case logbus.KindGroup:
		if depth >= logbus.MaxDepth {
			return append(dst, "null"...)
		}
		g := v.Group()
		if len(g) == 1 && IsTag(g[0].Key) {
			// A user group that would read back as a tagged value.
			dst = append(dst, `{"`+TagGroup+`":`...)
			dst = appendObject(dst, g, depth+1)
			return append(dst, '}')
		}
		return appendObject(dst, g, depth)
	}
	return append(dst, "null"...)
}

// AppendObject appends attrs as one JSON object, in order.
func AppendObject(dst []byte, attrs []logbus.Attr) []byte { return appendObject(dst, attrs, 0) }

func appendObject(dst []byte, attrs []logbus.Attr, depth int) []byte {
	dst = append(dst, '{')
	for i := range attrs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, attrs[i].Key)
		dst = append(dst, ':')
		dst = appendValue(dst, &attrs[i].Value, depth+1)
	}
	return append(dst, '}')
}

// AppendFloat writes the shortest representation that reads back as
// the same float, always with a '.' or exponent so it reads back as a
// float and not an integer.
func AppendFloat(dst []byte, f float64) []byte {
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'g', -1, 64)
	for _, c := range dst[start:] {
		if c == '.' || c == 'e' || c == 'E' {
			return dst
		}
	}
	return append(dst, '.', '0')
}

const hexDigits = "0123456789abcdef"

// AppendString writes s as a JSON string. Invalid UTF-8 becomes
// U+FFFD; control characters and the JavaScript line separators are
// escaped so a line of JSON is always one line.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
