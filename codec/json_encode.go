package codec

import (
	"encoding/base64"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Field names shared by both encodings; docs/wire.md is the reference.
const (
	keySchema    = "logbus"
	keyTime      = "time"
	keyLevel     = "level"
	keyMessage   = "msg"
	keyLogger    = "logger"
	keyHost      = "host"
	keyPID       = "pid"
	keyEquipment = "equipment"
	keyRun       = "run"
	keyProject   = "project"
	keyRunKind   = "kind"
	keyRunID     = "id"
	keyError     = "error"
	keySource    = "source"
	keyFile      = "file"
	keyLine      = "line"
	keyFunc      = "func"
	keyStream    = "stream"
	keySeq       = "seq"
	keyAttrs     = "attrs"
	keyName      = "name"
	keyValue     = "value"
	keyUnit      = "unit"

	schemaVersion = 1
)

// Tags of JSON values that JSON has no type for.
const (
	tagFloat    = "$float"
	tagBytes    = "$bytes"
	tagTime     = "$time"
	tagDuration = "$duration"
	tagGroup    = "$group"
)

// AppendRecordJSON appends r as one JSON object (no newline).
func AppendRecordJSON(dst []byte, r *Record) []byte {
	dst = append(dst, `{"`+keySchema+`":`...)
	dst = strconv.AppendInt(dst, schemaVersion, 10)
	dst = appendEnvelopeTimeJSON(dst, &r.Envelope)
	dst = append(dst, `,"`+keyLevel+`":`...)
	dst = appendJSONString(dst, r.Level.String())
	dst = appendJSONField(dst, keyMessage, r.Message, true)
	dst = appendJSONField(dst, keyLogger, r.Logger, false)
	dst = appendEnvelopeJSON(dst, &r.Envelope)
	dst = appendJSONField(dst, keyError, r.Error, false)
	if r.Source != (Source{}) {
		dst = append(dst, `,"`+keySource+`":{"`+keyFile+`":`...)
		dst = appendJSONString(dst, r.Source.File)
		dst = append(dst, `,"`+keyLine+`":`...)
		dst = strconv.AppendInt(dst, r.Source.Line, 10)
		dst = append(dst, `,"`+keyFunc+`":`...)
		dst = appendJSONString(dst, r.Source.Function)
		dst = append(dst, '}')
	}
	dst = appendAttrsJSON(dst, r.Attrs)
	return append(dst, '}')
}

// AppendSampleJSON appends s as one JSON object (no newline).
func AppendSampleJSON(dst []byte, s *Sample) []byte {
	dst = append(dst, `{"`+keySchema+`":`...)
	dst = strconv.AppendInt(dst, schemaVersion, 10)
	dst = appendEnvelopeTimeJSON(dst, &s.Envelope)
	dst = appendJSONField(dst, keyName, s.Name, true)
	dst = append(dst, `,"`+keyValue+`":`...)
	dst = appendJSONValue(dst, FloatValue(s.Value), 0)
	dst = appendJSONField(dst, keyUnit, s.Unit, false)
	dst = appendEnvelopeJSON(dst, &s.Envelope)
	dst = appendAttrsJSON(dst, s.Attrs)
	return append(dst, '}')
}

func appendEnvelopeTimeJSON(dst []byte, e *Envelope) []byte {
	if e.Time.IsZero() {
		return dst
	}
	dst = append(dst, `,"`+keyTime+`":"`...)
	dst = e.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

func appendEnvelopeJSON(dst []byte, e *Envelope) []byte {
	dst = appendJSONField(dst, keyHost, e.Host, false)
	if e.PID != 0 {
		dst = append(dst, `,"`+keyPID+`":`...)
		dst = strconv.AppendInt(dst, e.PID, 10)
	}
	dst = appendJSONField(dst, keyEquipment, e.Equipment, false)
	if e.Run != (Run{}) {
		dst = append(dst, `,"`+keyRun+`":{"`+keyProject+`":`...)
		dst = appendJSONString(dst, e.Run.Project)
		dst = append(dst, `,"`+keyRunKind+`":`...)
		dst = appendJSONString(dst, e.Run.Kind)
		dst = append(dst, `,"`+keyRunID+`":`...)
		dst = appendJSONString(dst, e.Run.ID)
		dst = append(dst, '}')
	}
	if e.Stream != 0 || e.Seq != 0 {
		dst = append(dst, `,"`+keyStream+`":`...)
		dst = strconv.AppendUint(dst, e.Stream, 10)
		dst = append(dst, `,"`+keySeq+`":`...)
		dst = strconv.AppendUint(dst, e.Seq, 10)
	}
	return dst
}

func appendAttrsJSON(dst []byte, attrs []Attr) []byte {
	if len(attrs) == 0 {
		return dst
	}
	dst = append(dst, `,"`+keyAttrs+`":`...)
	return appendJSONObject(dst, attrs, 0)
}

func appendJSONField(dst []byte, key, val string, always bool) []byte {
	if val == "" && !always {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return appendJSONString(dst, val)
}

// AppendValueJSON appends v in the JSON form used for attributes.
func AppendValueJSON(dst []byte, v Value) []byte { return appendJSONValue(dst, v, 0) }

func appendJSONValue(dst []byte, v Value, depth int) []byte {
	switch v.kind {
	case KindNull:
		return append(dst, "null"...)
	case KindBool:
		return strconv.AppendBool(dst, v.Bool())
	case KindInt:
		return strconv.AppendInt(dst, v.Int64(), 10)
	case KindUint:
		return strconv.AppendUint(dst, v.num, 10)
	case KindBigInt:
		return append(dst, v.str...)
	case KindFloat:
		f := v.Float64()
		switch {
		case math.IsNaN(f):
			return append(dst, `{"`+tagFloat+`":"NaN"}`...)
		case math.IsInf(f, 1):
			return append(dst, `{"`+tagFloat+`":"Infinity"}`...)
		case math.IsInf(f, -1):
			return append(dst, `{"`+tagFloat+`":"-Infinity"}`...)
		}
		return appendJSONFloat(dst, f)
	case KindString:
		return appendJSONString(dst, v.str)
	case KindBytes:
		dst = append(dst, `{"`+tagBytes+`":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, []byte(v.str))
		return append(dst, `"}`...)
	case KindTime:
		dst = append(dst, `{"`+tagTime+`":"`...)
		dst = v.Time().AppendFormat(dst, time.RFC3339Nano)
		return append(dst, `"}`...)
	case KindDuration:
		dst = append(dst, `{"`+tagDuration+`":`...)
		dst = strconv.AppendInt(dst, int64(v.num), 10)
		return append(dst, '}')
	case KindList:
		if depth >= MaxDepth {
			return append(dst, "null"...)
		}
		dst = append(dst, '[')
		for i, e := range v.kids {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONValue(dst, e.Value, depth+1)
		}
		return append(dst, ']')
	case KindGroup:
		if depth >= MaxDepth {
			return append(dst, "null"...)
		}
		g := v.Group()
		if len(g) == 1 && isTag(g[0].Key) {
			// A user group that would read back as a tagged value.
			dst = append(dst, `{"`+tagGroup+`":`...)
			dst = appendJSONObject(dst, g, depth+1)
			return append(dst, '}')
		}
		return appendJSONObject(dst, g, depth)
	}
	return append(dst, "null"...)
}

func isTag(k string) bool {
	switch k {
	case tagFloat, tagBytes, tagTime, tagDuration, tagGroup:
		return true
	}
	return false
}

func appendJSONObject(dst []byte, attrs []Attr, depth int) []byte {
	dst = append(dst, '{')
	for i, a := range attrs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, a.Key)
		dst = append(dst, ':')
		dst = appendJSONValue(dst, a.Value, depth+1)
	}
	return append(dst, '}')
}

// appendJSONFloat writes the shortest representation that reads back as
// the same float, always with a '.' or exponent so it reads back as a
// float and not an integer.
func appendJSONFloat(dst []byte, f float64) []byte {
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

// appendJSONString writes s as a JSON string. Invalid UTF-8 becomes
// U+FFFD; control characters and the JavaScript line separators are
// escaped so a line of JSON is always one line.
func appendJSONString(dst []byte, s string) []byte {
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
