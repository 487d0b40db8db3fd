package codec

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/dialect"
	"github.com/logbus/logbus/internal/intern"
	"github.com/logbus/logbus/internal/jsonvalue"
	"github.com/logbus/logbus/topic"
)

// Message is one decoded ZeroMQ message: the topic and the records (kind
// L) or samples (kind P) its payload frames held.
type Message struct {
	Topic topic.Topic
	// HasTopic is false for a single-frame message, which is how logbook's
	// ZeroMQHandler sends a record: one JSON object and no topic frame.
	HasTopic bool
	// Shape says whose schema the payload followed.
	Shape   dialect.Shape
	Records []logbus.Record
	Samples []logbus.Sample
	// Failed counts payload frames that could not be decoded; the error
	// returned with them describes the first.
	Failed int
}

// Decoder decodes messages and payloads. It keeps a small cache of
// repeated strings, so one Decoder per goroutine decodes a stream with
// fewer allocations. The zero value is ready; it is not safe for
// concurrent use.
type Decoder struct {
	strs    intern.Table
	json    jsonvalue.Parser // its scratch is reused from payload to payload
	generic bool             // tests: decode every field the generic way
}

// Decode reads a whole message (its frames, in order):
//
//   - two or more frames, the first a valid topic: every further frame is
//     one payload in the topic's encoding (several make a batch);
//   - one frame holding a JSON object: a logbook record;
//   - anything else: an error wrapping ErrMessage.
//
// m is reset and reused, including the attribute slices of its records.
// Frames that fail to decode are counted in m.Failed and the first
// failure is returned; the others are still decoded.
func (d *Decoder) Decode(frames [][]byte, m *Message) error {
	m.reset()
	switch {
	case len(frames) == 0:
		return fmt.Errorf("%w: no frames", ErrMessage)
	case len(frames) == 1:
		f := frames[0]
		if _, err := topic.Parse(f); err == nil {
			return fmt.Errorf("%w: topic %q without payload", ErrMessage, f)
		}
		if !LooksLikeJSONObject(f) {
			return fmt.Errorf("%w: single frame is not a JSON object", ErrMessage)
		}
		m.Topic = topic.Topic{System: logbus.Production, Kind: topic.Log, Encoding: topic.JSON}
		r := m.nextRecord()
		shape, err := d.DecodeRecord(topic.JSON, f, r)
		m.Shape = shape
		if err != nil {
			m.Records = m.Records[:0]
			m.Failed = 1
			return err
		}
		return nil
	}
	t, err := topic.Parse(frames[0])
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMessage, err)
	}
	m.Topic, m.HasTopic = t, true
	var first error
	for _, f := range frames[1:] {
		var err error
		if t.Kind == topic.Sample {
			m.Shape = dialect.Logbus
			if t.Encoding == topic.JSON {
				err = d.decodeJSONSamples(f, m)
			} else if err = d.DecodeSample(t.Encoding, f, m.nextSample()); err != nil {
				m.Samples = m.Samples[:len(m.Samples)-1]
			}
		} else {
			m.Shape, err = d.DecodeRecord(t.Encoding, f, m.nextRecord())
			if err != nil {
				m.Records = m.Records[:len(m.Records)-1]
			}
		}
		if err != nil {
			m.Failed++
			if first == nil {
				first = err
			}
		}
	}
	return first
}

func (m *Message) reset() {
	m.Topic, m.HasTopic, m.Shape, m.Failed = topic.Topic{}, false, dialect.Logbus, 0
	m.Records = m.Records[:0]
	m.Samples = m.Samples[:0]
}

func (m *Message) nextRecord() *logbus.Record {
	if len(m.Records) < cap(m.Records) {
		m.Records = m.Records[:len(m.Records)+1]
	} else {
		m.Records = append(m.Records, logbus.Record{})
	}
	r := &m.Records[len(m.Records)-1]
	r.Reset()
	return r
}

func (m *Message) nextSample() *logbus.Sample {
	if len(m.Samples) < cap(m.Samples) {
		m.Samples = m.Samples[:len(m.Samples)+1]
	} else {
		m.Samples = append(m.Samples, logbus.Sample{})
	}
	s := &m.Samples[len(m.Samples)-1]
	s.Reset()
	return s
}

// LooksLikeJSONObject reports whether b, past leading white space, starts
// a JSON object: how a single-frame message (logbook's ZeroMQHandler) is
// told from anything else without parsing it.
func LooksLikeJSONObject(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c == '{'
	}
	return false
}

// DecodeRecord decodes one record payload into r (which it resets) and
// reports the payload's shape. JSON and pickle payloads may be Python
// dictionaries (distlog, logbook), worker lines or any dictionary, as
// well as logbus records: the payload is parsed once into attributes,
// then read as logbus's schema or handed to dialect.Read for the shape
// dialect.Detect names. Msgpack is logbus's schema only.
func (d *Decoder) DecodeRecord(enc topic.Encoding, payload []byte, r *logbus.Record) (dialect.Shape, error) {
	r.Reset()
	switch enc {
	case topic.Msgpack:
		return dialect.Logbus, d.decodeMsgpack(payload, recordTarget(r))
	case topic.JSON:
		if ok, err := d.decodeJSONRecordFast(payload, r); ok {
			if err != nil {
				r.Reset()
				return dialect.Logbus, jsonErr(err)
			}
			return dialect.Logbus, nil
		}
		attrs, err := d.parseJSONObject(payload)
		if err != nil {
			return dialect.Dict, err
		}
		return recordFromDict(attrs, r), nil
	case topic.Pickle:
		attrs, err := dialect.ReadPickle(payload)
		if errors.Is(err, dialect.ErrNotDict) {
			return dialect.Dict, fmt.Errorf("%w: %w", ErrSchema, err)
		}
		if err != nil {
			return dialect.Dict, fmt.Errorf("%w: %w", ErrPickle, err)
		}
		return recordFromDict(attrs, r), nil
	}
	return dialect.Dict, fmt.Errorf("%w: %q", ErrEncoding, byte(enc))
}

// recordFromDict reads a decoded dictionary as logbus's schema or as the
// dialect it follows.
func recordFromDict(attrs []logbus.Attr, r *logbus.Record) dialect.Shape {
	shape := dialect.Detect(attrs)
	if shape == dialect.Logbus {
		secondsTime(attrs)
		for _, a := range attrs {
			setRecordField(r, a)
		}
	} else {
		dialect.Read(shape, attrs, r)
	}
	return shape
}

// secondsTime reads a number in a dictionary's "time" field as Unix
// seconds, fractions allowed: what Python's time.time() and distlog's
// created give, and what a worker line means. Only msgpack carries
// integer nanoseconds (docs/wire.md).
func secondsTime(attrs []logbus.Attr) {
	for i := range attrs {
		a := &attrs[i]
		if a.Key != keyTime {
			continue
		}
		switch a.Value.Kind() {
		case logbus.KindInt:
			a.Value = logbus.TimeValue(logbus.ClampTime(time.Unix(a.Value.Int64(), 0)))
		case logbus.KindFloat:
			f := a.Value.Float64()
			if f != f || f > 1e13 || f < -1e13 { // NaN, or beyond any clock: kept as sent
				continue
			}
			sec, frac := math.Modf(f)
			a.Value = logbus.TimeValue(logbus.ClampTime(time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000)))
		}
	}
}

// decodeJSONSamples decodes one JSON sample payload into m: a logbus
// sample, or a free-form dictionary of measurements as distlog's
// performance messages are ("data suitable for a dashboard", e.g.
// {"cpu_load":0.5,"host":"pc-9"}): one sample per numeric field, named
// after its key; host, hostname, equipment, equipment_id and time (Unix
// seconds) fill the envelope; every other field is kept as an attribute
// of each sample. A dictionary without a number becomes one sample named
// "fields", value 0, with them all as attributes: never dropped.
func (d *Decoder) decodeJSONSamples(payload []byte, m *Message) error {
	attrs, err := d.parseJSONObject(payload)
	if err != nil {
		return err
	}
	if dialect.Detect(attrs) == dialect.Logbus {
		s := m.nextSample()
		s.Reset()
		secondsTime(attrs)
		for _, a := range attrs {
			setSampleField(s, a)
		}
		return nil
	}
	secondsTime(attrs)
	var env logbus.Envelope
	var rest []logbus.Attr
	numbers := 0
	for _, a := range attrs {
		switch a.Key {
		case "host", "hostname":
			if v, ok := strOf(a.Value); ok {
				env.Host = v
				continue
			}
		case "equipment", "equipment_id":
			if v, ok := strOf(a.Value); ok {
				env.Equipment = v
				continue
			}
		case keyTime:
			if a.Value.Kind() == logbus.KindTime {
				env.Time = a.Value.Time()
				continue
			}
		}
		if k := a.Value.Kind(); k == logbus.KindInt || k == logbus.KindFloat {
			numbers++
			continue
		}
		rest = append(rest, a)
	}
	add := func(name string, v float64) {
		s := m.nextSample()
		s.Reset()
		s.Envelope, s.Name, s.Value = env, name, v
		s.Attrs = append(s.Attrs, rest...)
	}
	if numbers == 0 {
		add("fields", 0)
		return nil
	}
	for _, a := range attrs {
		switch a.Value.Kind() {
		case logbus.KindInt:
			add(a.Key, float64(a.Value.Int64()))
		case logbus.KindFloat:
			add(a.Key, a.Value.Float64())
		}
	}
	return nil
}

// DecodeSample decodes one sample payload (logbus schema) into s.
func (d *Decoder) DecodeSample(enc topic.Encoding, payload []byte, s *logbus.Sample) error {
	s.Reset()
	switch enc {
	case topic.Msgpack:
		return d.decodeMsgpack(payload, sampleTarget(s))
	case topic.JSON:
		attrs, err := d.parseJSONObject(payload)
		if err != nil {
			return err
		}
		if dialect.Detect(attrs) != dialect.Logbus {
			return fmt.Errorf("%w: sample payload lacks the %q field", ErrSchema, keySchema)
		}
		secondsTime(attrs)
		for _, a := range attrs {
			setSampleField(s, a)
		}
		return nil
	}
	return fmt.Errorf("%w: samples in %q", ErrEncoding, byte(enc))
}

// jsonErr wraps a JSON parse error in the codec's sentinels.
func jsonErr(err error) error {
	var je *jsonvalue.Error
	if errors.As(err, &je) && je.TooDeep {
		return fmt.Errorf("%w (JSON at offset %d)", ErrTooDeep, je.Offset)
	}
	return fmt.Errorf("%w: %w", ErrJSON, err)
}

// parseJSONObject parses a JSON payload that must be an object. Its
// members live in the decoder's parser until the next payload: callers
// copy what they keep (the Values themselves may be kept).
func (d *Decoder) parseJSONObject(b []byte) ([]logbus.Attr, error) {
	attrs, kind, err := d.json.Object(b, &d.strs)
	if err != nil {
		return nil, jsonErr(err)
	}
	if kind != logbus.KindGroup {
		return nil, fmt.Errorf("%w: payload is a JSON %s, not an object", ErrSchema, kind)
	}
	return attrs, nil
}
