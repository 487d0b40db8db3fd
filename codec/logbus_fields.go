package codec

import (
	"math"
	"time"
)

// Reading logbus's own schema is shared by both encodings: each top-level
// field is decoded to a Value and stored by setField. A field of an
// unexpected type is not an error: it is kept as an attribute under its
// own key, so nothing a sender wrote is lost.

func (r *Record) setField(a Attr) {
	v := a.Value
	ok := true
	switch a.Key {
	case keySchema:
		ok = v.kind == KindInt
	case keyLevel:
		switch v.kind {
		case KindInt:
			r.Level = Level(clampInt(v.Int64()))
		case KindString:
			r.Level, ok = ParseLevel(v.str)
		default:
			ok = false
		}
	case keyMessage:
		r.Message, ok = strOf(v)
	case keyLogger:
		r.Logger, ok = strOf(v)
	case keyError:
		r.Error, ok = strOf(v)
	case keySource:
		ok = v.kind == KindGroup
		for _, f := range v.Group() {
			r.setSubField(keySource, f)
		}
	case keyAttrs:
		ok = v.kind == KindGroup
		r.Attrs = append(r.Attrs, v.Group()...)
	default:
		ok = r.Envelope.setField(a)
	}
	if !ok {
		r.Attrs = append(r.Attrs, a)
	}
}

func (s *Sample) setField(a Attr) {
	v := a.Value
	ok := true
	switch a.Key {
	case keySchema:
		ok = v.kind == KindInt
	case keyName:
		s.Name, ok = strOf(v)
	case keyUnit:
		s.Unit, ok = strOf(v)
	case keyValue:
		switch v.kind {
		case KindFloat:
			s.Value = v.Float64()
		case KindInt:
			s.Value = float64(v.Int64())
		default:
			ok = false
		}
	case keyAttrs:
		ok = v.kind == KindGroup
		s.Attrs = append(s.Attrs, v.Group()...)
	default:
		ok = s.Envelope.setField(a)
	}
	if !ok {
		s.Attrs = append(s.Attrs, a)
	}
}

// setField stores an envelope field; false means the key is not one or
// the value has the wrong type.
func (e *Envelope) setField(a Attr) bool {
	v := a.Value
	switch a.Key {
	case keyTime:
		switch v.kind {
		case KindInt:
			e.Time = time.Unix(0, v.Int64()).UTC()
		case KindTime:
			e.Time = v.Time()
		case KindString:
			t, err := time.Parse(time.RFC3339Nano, v.str)
			if err != nil {
				return false
			}
			e.Time = clampTime(t)
		default:
			return false
		}
	case keyHost:
		var ok bool
		e.Host, ok = strOf(v)
		return ok
	case keyPID:
		if v.kind != KindInt {
			return false
		}
		e.PID = v.Int64()
	case keyEquipment:
		var ok bool
		e.Equipment, ok = strOf(v)
		return ok
	case keyRun:
		if v.kind != KindGroup {
			return false
		}
		for _, f := range v.Group() {
			e.setSubField(keyRun, f)
		}
	case keyStream, keySeq:
		var n uint64
		switch v.kind {
		case KindInt:
			if v.Int64() < 0 {
				return false
			}
			n = uint64(v.Int64())
		case KindUint:
			n = v.num
		default:
			return false
		}
		if a.Key == keyStream {
			e.Stream = n
		} else {
			e.Seq = n
		}
	default:
		return false
	}
	return true
}

// setSubField stores a member of the "source" map; members of unknown
// name or type are ignored.
func (r *Record) setSubField(parent string, f Attr) {
	if parent != keySource {
		r.Envelope.setSubField(parent, f)
		return
	}
	switch f.Key {
	case keyFile:
		r.Source.File, _ = strOf(f.Value)
	case keyLine:
		r.Source.Line, _ = intOf(f.Value)
	case keyFunc:
		r.Source.Function, _ = strOf(f.Value)
	}
}

func (s *Sample) setSubField(parent string, f Attr) { s.Envelope.setSubField(parent, f) }

// setSubField stores a member of the "run" map.
func (e *Envelope) setSubField(parent string, f Attr) {
	if parent != keyRun {
		return
	}
	switch f.Key {
	case keyProject:
		e.Run.Project, _ = strOf(f.Value)
	case keyRunKind:
		e.Run.Kind, _ = strOf(f.Value)
	case keyRunID:
		e.Run.ID, _ = strOf(f.Value)
	}
}

func strOf(v Value) (string, bool) {
	return v.str, v.kind == KindString
}

func clampInt(n int64) int64 {
	return max(min(n, math.MaxInt32), math.MinInt32)
}
