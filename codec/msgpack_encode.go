package codec

import (
	"encoding/binary"
	"math"

	"github.com/logbus/logbus"
)

// The msgpack encoding is written by hand rather than through a
// reflection-based library: appending into the caller's buffer keeps the
// publisher's hot path free of allocations (see the benchmarks). Its
// output is plain msgpack that any library reads; tests check it against
// github.com/vmihailenco/msgpack/v5.

// Extension types for values msgpack has no type for.
const (
	extTimestamp int8 = -1 // msgpack's own timestamp
	extDuration  int8 = 1  // int64 nanoseconds, big endian
	extBigInt    int8 = 2  // decimal ASCII digits with optional '-'
)

// AppendRecordMsgpack appends r as one msgpack map.
func AppendRecordMsgpack(dst []byte, r *logbus.Record) []byte {
	n := 4 // logbus, level, msg, plus time counted below
	if r.Time.IsZero() {
		n--
	}
	n += envelopeFields(&r.Envelope)
	n += countNonEmpty(r.Logger, r.Error)
	if r.Source != (logbus.Source{}) {
		n++
	}
	if len(r.Attrs) > 0 {
		n++
	}
	dst = mpMapLen(dst, n)
	dst = mpStr(dst, keySchema)
	dst = mpInt(dst, schemaVersion)
	dst = appendEnvelopeTimeMsgpack(dst, &r.Envelope)
	dst = mpStr(dst, keyLevel)
	dst = mpInt(dst, int64(r.Level))
	dst = mpStr(dst, keyMessage)
	dst = mpStr(dst, r.Message)
	dst = mpField(dst, keyLogger, r.Logger)
	dst = appendEnvelopeMsgpack(dst, &r.Envelope)
	dst = mpField(dst, keyError, r.Error)
	if r.Source != (logbus.Source{}) {
		dst = mpStr(dst, keySource)
		dst = mpMapLen(dst, 3)
		dst = mpStr(dst, keyFile)
		dst = mpStr(dst, r.Source.File)
		dst = mpStr(dst, keyLine)
		dst = mpInt(dst, r.Source.Line)
		dst = mpStr(dst, keyFunc)
		dst = mpStr(dst, r.Source.Function)
	}
	if len(r.Attrs) > 0 {
		dst = mpStr(dst, keyAttrs)
		dst = mpAttrs(dst, r.Attrs, 0)
	}
	return dst
}

// AppendSampleMsgpack appends s as one msgpack map.
func AppendSampleMsgpack(dst []byte, s *logbus.Sample) []byte {
	n := 4 // logbus, time, name, value
	if s.Time.IsZero() {
		n--
	}
	n += envelopeFields(&s.Envelope) + countNonEmpty(s.Unit)
	if len(s.Attrs) > 0 {
		n++
	}
	dst = mpMapLen(dst, n)
	dst = mpStr(dst, keySchema)
	dst = mpInt(dst, schemaVersion)
	dst = appendEnvelopeTimeMsgpack(dst, &s.Envelope)
	dst = mpStr(dst, keyName)
	dst = mpStr(dst, s.Name)
	dst = mpStr(dst, keyValue)
	dst = mpFloat(dst, s.Value)
	dst = mpField(dst, keyUnit, s.Unit)
	dst = appendEnvelopeMsgpack(dst, &s.Envelope)
	if len(s.Attrs) > 0 {
		dst = mpStr(dst, keyAttrs)
		dst = mpAttrs(dst, s.Attrs, 0)
	}
	return dst
}

func countNonEmpty(ss ...string) int {
	n := 0
	for _, s := range ss {
		if s != "" {
			n++
		}
	}
	return n
}

func envelopeFields(e *logbus.Envelope) int {
	n := countNonEmpty(e.Host, e.Equipment)
	if e.PID != 0 {
		n++
	}
	if e.Run != (logbus.Run{}) {
		n++
	}
	if e.Stream != 0 || e.Seq != 0 {
		n += 2
	}
	return n
}

func appendEnvelopeTimeMsgpack(dst []byte, e *logbus.Envelope) []byte {
	if e.Time.IsZero() {
		return dst
	}
	dst = mpStr(dst, keyTime)
	return mpInt(dst, logbus.UnixNano(e.Time))
}

func appendEnvelopeMsgpack(dst []byte, e *logbus.Envelope) []byte {
	dst = mpField(dst, keyHost, e.Host)
	if e.PID != 0 {
		dst = mpStr(dst, keyPID)
		dst = mpInt(dst, e.PID)
	}
	dst = mpField(dst, keyEquipment, e.Equipment)
	if e.Run != (logbus.Run{}) {
		dst = mpStr(dst, keyRun)
		dst = mpMapLen(dst, 3)
		dst = mpStr(dst, keyProject)
		dst = mpStr(dst, e.Run.Project)
		dst = mpStr(dst, keyRunKind)
		dst = mpStr(dst, e.Run.Kind)
		dst = mpStr(dst, keyRunID)
		dst = mpStr(dst, e.Run.ID)
	}
	if e.Stream != 0 || e.Seq != 0 {
		dst = mpStr(dst, keyStream)
		dst = mpUint(dst, e.Stream)
		dst = mpStr(dst, keySeq)
		dst = mpUint(dst, e.Seq)
	}
	return dst
}

func mpField(dst []byte, key, val string) []byte {
	if val == "" {
		return dst
	}
	return mpStr(mpStr(dst, key), val)
}

func mpAttrs(dst []byte, attrs []logbus.Attr, depth int) []byte {
	dst = mpMapLen(dst, len(attrs))
	for i := range attrs {
		dst = mpStr(dst, attrs[i].Key)
		dst = mpValue(dst, &attrs[i].Value, depth+1)
	}
	return dst
}

// AppendValueMsgpack appends v in the msgpack form used for attributes.
func AppendValueMsgpack(dst []byte, v logbus.Value) []byte { return mpValue(dst, &v, 0) }

// mpValue takes v by pointer: a Value is too large to live in registers,
// and a copy that was just written (a parameter spilled to the stack)
// and is read again for each accessor stalls the processor's store
// forwarding, which cost the encoder about 6 %.
func mpValue(dst []byte, v *logbus.Value, depth int) []byte {
	switch v.Kind() {
	case logbus.KindBool:
		if v.Bool() {
			return append(dst, 0xc3)
		}
		return append(dst, 0xc2)
	case logbus.KindInt:
		return mpInt(dst, v.Int64())
	case logbus.KindUint:
		return mpUint(dst, v.Uint64())
	case logbus.KindFloat:
		return mpFloat(dst, v.Float64())
	case logbus.KindString:
		return mpStr(dst, v.Str())
	case logbus.KindBytes:
		return mpBin(dst, v.Str())
	case logbus.KindTime:
		ns := v.UnixNano()
		sec, nsec := ns/1e9, ns%1e9
		if nsec < 0 {
			sec, nsec = sec-1, nsec+1e9
		}
		dst = append(dst, 0xc7, 12, 0xff) // ext8, 12 bytes, type -1
		dst = binary.BigEndian.AppendUint32(dst, uint32(nsec))
		return binary.BigEndian.AppendUint64(dst, uint64(sec))
	case logbus.KindDuration:
		dst = append(dst, 0xd7, byte(extDuration))
		return binary.BigEndian.AppendUint64(dst, uint64(v.Duration()))
	case logbus.KindBigInt:
		dst = mpExtHeader(dst, len(v.Str()), extBigInt)
		return append(dst, v.Str()...)
	case logbus.KindList:
		if depth >= logbus.MaxDepth {
			return append(dst, 0xc0)
		}
		dst = mpArrayLen(dst, v.Len())
		for i := range v.Len() {
			e := v.Index(i)
			dst = mpValue(dst, &e, depth+1)
		}
		return dst
	case logbus.KindGroup:
		if depth >= logbus.MaxDepth {
			return append(dst, 0xc0)
		}
		return mpAttrs(dst, v.Group(), depth)
	}
	return append(dst, 0xc0)
}

func mpInt(dst []byte, n int64) []byte {
	switch {
	case n >= 0:
		return mpUint(dst, uint64(n))
	case n >= -32:
		return append(dst, byte(n))
	case n >= math.MinInt8:
		return append(dst, 0xd0, byte(n))
	case n >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(dst, 0xd1), uint16(n))
	case n >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(dst, 0xd2), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0xd3), uint64(n))
}

func mpUint(dst []byte, n uint64) []byte {
	switch {
	case n <= 0x7f:
		return append(dst, byte(n))
	case n <= math.MaxUint8:
		return append(dst, 0xcc, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, 0xcd), uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(dst, 0xce), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0xcf), n)
}

func mpFloat(dst []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, 0xcb), math.Float64bits(f))
}

func mpStr(dst []byte, s string) []byte {
	n := len(s)
	switch {
	case n <= 31:
		dst = append(dst, 0xa0|byte(n))
	case n <= math.MaxUint8:
		dst = append(dst, 0xd9, byte(n))
	case n <= math.MaxUint16:
		dst = binary.BigEndian.AppendUint16(append(dst, 0xda), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, 0xdb), uint32(n))
	}
	return append(dst, s...)
}

func mpBin(dst []byte, s string) []byte {
	n := len(s)
	switch {
	case n <= math.MaxUint8:
		dst = append(dst, 0xc4, byte(n))
	case n <= math.MaxUint16:
		dst = binary.BigEndian.AppendUint16(append(dst, 0xc5), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, 0xc6), uint32(n))
	}
	return append(dst, s...)
}

func mpExtHeader(dst []byte, n int, typ int8) []byte {
	switch {
	case n <= math.MaxUint8:
		dst = append(dst, 0xc7, byte(n))
	case n <= math.MaxUint16:
		dst = binary.BigEndian.AppendUint16(append(dst, 0xc8), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, 0xc9), uint32(n))
	}
	return append(dst, byte(typ))
}

func mpMapLen(dst []byte, n int) []byte {
	switch {
	case n <= 15:
		return append(dst, 0x80|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, 0xde), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xdf), uint32(n))
}

func mpArrayLen(dst []byte, n int) []byte {
	switch {
	case n <= 15:
		return append(dst, 0x90|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, 0xdc), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xdd), uint32(n))
}
