package codec

import (
	"math"
	"time"

	"github.com/logbus/logbus"
)

// Reading logbus's own schema is shared by both encodings: each top-level
// field is decoded to a Value and stored by setField. A field of an
// unexpected type is not an error: it is kept as an attribute under its
// own key, so nothing a sender wrote is lost.

func setRecordField(r *logbus.Record, a logbus.Attr) {
	v := a.Value
	ok := true
	switch a.Key {
	case keySchema:
		ok = v.Kind() == logbus.KindInt
	case keyLevel:
		switch v.Kind() {
		case logbus.KindInt:
			r.Level = logbus.Level(clampInt(v.Int64()))
		case logbus.KindString:
			r.Level, ok = logbus.ParseLevel(v.Str())
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
		ok = v.Kind() == logbus.KindGroup
		for _, f := range v.Group() {
			setRecordSubField(r, keySource, f)
		}
	case keyAttrs:
		ok = v.Kind() == logbus.KindGroup
		r.Attrs = append(r.Attrs, v.Group()...)
	default:
		ok = setEnvelopeField(&r.Envelope, a)
	}
	if !ok {
		r.Attrs = append(r.Attrs, a)
	}
}

func setSampleField(s *logbus.Sample, a logbus.Attr) {
	v := a.Value
	ok := true
	switch a.Key {
	case keySchema:
		ok = v.Kind() == logbus.KindInt
	case keyName:
		s.Name, ok = strOf(v)
	case keyUnit:
		s.Unit, ok = strOf(v)
	case keyValue:
		switch v.Kind() {
		case logbus.KindFloat:
			s.Value = v.Float64()
		case logbus.KindInt:
			s.Value = float64(v.Int64())
		default:
			ok = false
		}
	case keyAttrs:
		ok = v.Kind() == logbus.KindGroup
		s.Attrs = append(s.Attrs, v.Group()...)
	default:
		ok = setEnvelopeField(&s.Envelope, a)
	}
	if !ok {
		s.Attrs = append(s.Attrs, a)
	}
}

// setField stores an envelope field; false means the key is not one or
// the value has the wrong type.
func setEnvelopeField(e *logbus.Envelope, a logbus.Attr) bool {
	v := a.Value
	switch a.Key {
	case keyTime:
		switch v.Kind() {
		case logbus.KindInt:
			e.Time = time.Unix(0, v.Int64()).UTC()
		case logbus.KindTime:
			e.Time = v.Time()
		case logbus.KindString:
			t, err := time.Parse(time.RFC3339Nano, v.Str())
			if err != nil {
				return false
			}
			e.Time = logbus.ClampTime(t)
		default:
			return false
		}
	case keyHost:
		var ok bool
		e.Host, ok = strOf(v)
		return ok
	case keyPID:
		if v.Kind() != logbus.KindInt {
			return false
		}
		e.PID = v.Int64()
	case keyEquipment:
		var ok bool
		e.Equipment, ok = strOf(v)
		return ok
	case keySystem:
		s, ok := strOf(v)
		if !ok || len(s) != 1 || !logbus.System(s[0]).Valid() {
			return false
		}
		e.System = logbus.System(s[0])
	case keyRun:
		if v.Kind() != logbus.KindGroup {
			return false
		}
		for _, f := range v.Group() {
			setEnvelopeSubField(e, keyRun, f)
		}
	case keyStream, keySeq:
		var n uint64
		switch v.Kind() {
		case logbus.KindInt:
			if v.Int64() < 0 {
				return false
			}
			n = uint64(v.Int64())
		case logbus.KindUint:
			n = v.Uint64()
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
func setRecordSubField(r *logbus.Record, parent string, f logbus.Attr) {
	if parent != keySource {
		setEnvelopeSubField(&r.Envelope, parent, f)
		return
	}
	switch f.Key {
	case keyFile:
		r.Source.File, _ = strOf(f.Value)
	case keyLine:
		r.Source.Line, _ = f.Value.AsInt64()
	case keyFunc:
		r.Source.Function, _ = strOf(f.Value)
	}
}

// setSubField stores a member of the "run" map.
func setEnvelopeSubField(e *logbus.Envelope, parent string, f logbus.Attr) {
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

func strOf(v logbus.Value) (string, bool) {
	return v.Str(), v.Kind() == logbus.KindString
}

func clampInt(n int64) int64 {
	return max(min(n, math.MaxInt32), math.MinInt32)
}

// target is the Record or Sample a decoder fills: the envelope and
// attributes they share, and the one that is set.
type target struct {
	env   *logbus.Envelope
	attrs *[]logbus.Attr
	rec   *logbus.Record // nil for a sample
	smp   *logbus.Sample // nil for a record
}

func recordTarget(r *logbus.Record) target { return target{env: &r.Envelope, attrs: &r.Attrs, rec: r} }
func sampleTarget(s *logbus.Sample) target { return target{env: &s.Envelope, attrs: &s.Attrs, smp: s} }

func (t target) setField(a logbus.Attr) {
	if t.rec != nil {
		setRecordField(t.rec, a)
	} else {
		setSampleField(t.smp, a)
	}
}

func (t target) setSubField(parent string, f logbus.Attr) {
	if t.rec != nil {
		setRecordSubField(t.rec, parent, f)
	} else {
		setEnvelopeSubField(t.env, parent, f)
	}
}
