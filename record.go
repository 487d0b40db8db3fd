package logbus

import "time"

// Run is the run context of a lab program: which project, what kind of
// run and which run, as the lab wizard names them (project_short_id,
// run_kind, run_id). A program sets it once per run; the equipment it
// drives is the Envelope's own field, since it also routes the record
// (topic suffix, file path).
type Run struct {
	Project string
	Kind    string
	ID      string
}

// Source is where a record was logged.
type Source struct {
	File     string
	Line     int64
	Function string
}

// Envelope is what records and samples share: when, where and from which
// publisher stream.
type Envelope struct {
	Time      time.Time // UTC, nanosecond precision; zero when the sender gave none
	Host      string
	PID       int64
	Equipment string // empty: not tied to an instrument
	Run       Run
	// System is the installation the record came from (the topic's
	// first byte: test, staging, production); 0 when unknown. Subscribers
	// set it from the topic; JSON output carries it.
	System System

	// Stream is a random id a publisher draws at start; Seq numbers its
	// messages per topic from 1. Both are zero for senders that do not
	// number (distlog and logbook clients), which disables gap detection
	// for them.
	Stream uint64
	Seq    uint64
}

// Record is one log event.
type Record struct {
	Envelope
	Level   Level
	Message string
	Logger  string
	Error   string // exception text or traceback (Python's exc_text and stack_info)
	Source  Source
	Attrs   []Attr // in the order they were added; groups nest
}

// Sample is one performance sample (topic kind 'P'): a named value
// measured at a time, such as a stage temperature.
type Sample struct {
	Envelope
	Name  string // what was measured, e.g. "stage.temperature"
	Value float64
	Unit  string // e.g. "degC"; empty when dimensionless
	Attrs []Attr
}

// Equal reports whether r and o are the same record (times compare as
// instants, attributes with Value.Equal).
func (r *Record) Equal(o *Record) bool {
	return r.Envelope.equal(&o.Envelope) && r.Level == o.Level && r.Message == o.Message &&
		r.Logger == o.Logger && r.Error == o.Error && r.Source == o.Source && AttrsEqual(r.Attrs, o.Attrs)
}

// Equal reports whether s and o are the same sample; the values compare
// by bit pattern.
func (s *Sample) Equal(o *Sample) bool {
	return s.Envelope.equal(&o.Envelope) && s.Name == o.Name && FloatValue(s.Value).Equal(FloatValue(o.Value)) &&
		s.Unit == o.Unit && AttrsEqual(s.Attrs, o.Attrs)
}

func (e *Envelope) equal(o *Envelope) bool {
	return e.Time.Equal(o.Time) && e.Host == o.Host && e.PID == o.PID && e.Equipment == o.Equipment &&
		e.Run == o.Run && e.Stream == o.Stream && e.Seq == o.Seq
}

// Reset clears r for reuse, keeping the capacity of its attribute slice.
func (r *Record) Reset() {
	attrs := r.Attrs[:0]
	*r = Record{Attrs: attrs}
}

// Reset clears s for reuse, keeping the capacity of its attribute slice.
func (s *Sample) Reset() {
	attrs := s.Attrs[:0]
	*s = Sample{Attrs: attrs}
}

// Attr returns the first top-level attribute named key.
func (r *Record) Attr(key string) (Value, bool) {
	for _, a := range r.Attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return Value{}, false
}

// AddAttr appends a to r's attributes, except for the names lab programs
// use for the record's own fields, which are stored there (see
// Envelope.TakeAttr).
func (r *Record) AddAttr(a Attr) {
	if !r.Envelope.TakeAttr(a) {
		r.Attrs = append(r.Attrs, a)
	}
}

// TakeAttr stores a in e when its key is one of the lab wizard's names
// for an envelope field: equipment_id (or equipment), project_short_id,
// run_kind, run_id and hostname; a None value sets nothing. It reports
// false, storing nothing, for other keys and for values that are not
// strings or integers, which then stay attributes. Every reader of
// Python records and the slog handler apply it, so an extra means the
// same wherever it was logged.
func (e *Envelope) TakeAttr(a Attr) bool {
	var dst *string
	switch a.Key {
	case "equipment_id", "equipment":
		dst = &e.Equipment
	case "project_short_id":
		dst = &e.Run.Project
	case "run_kind":
		dst = &e.Run.Kind
	case "run_id":
		dst = &e.Run.ID
	case "hostname":
		dst = &e.Host
	default:
		return false
	}
	switch a.Value.kind {
	case KindString:
		*dst = a.Value.str
		return true
	case KindInt, KindUint, KindBigInt:
		*dst = a.Value.String()
		return true
	case KindNull:
		return true // None: nothing to record
	}
	return false
}
