package codec

import "time"

// Run is the run context of a lab program: which project, what kind of
// run and which run. A program sets it once per run.
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

	// Stream is a random id a publisher draws at start; Seq numbers its
	// messages per topic from 1. Both are zero for senders that do not
	// number (Python clients), which disables gap detection for them.
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

// Sample is one performance measurement (topic kind 'P').
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
