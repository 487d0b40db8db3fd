package codec

import (
	"fmt"

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
	Shape   Shape
	Records []Record
	Samples []Sample
	// Failed counts payload frames that could not be decoded; the error
	// returned with them describes the first.
	Failed int
}

// Decoder decodes messages and payloads. It keeps a small cache of
// repeated strings, so one Decoder per goroutine decodes a stream with
// fewer allocations. The zero value is ready; it is not safe for
// concurrent use.
type Decoder struct {
	strs    interner
	generic bool // tests: decode every field the generic way
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
		m.Topic = topic.Topic{System: topic.Production, Kind: topic.Log, Encoding: topic.JSON}
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
		if t.Kind == topic.Performance {
			err = d.DecodeSample(t.Encoding, f, m.nextSample())
			if err != nil {
				m.Samples = m.Samples[:len(m.Samples)-1]
			}
			m.Shape = ShapeLogbus
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
	m.Topic, m.HasTopic, m.Shape, m.Failed = topic.Topic{}, false, ShapeLogbus, 0
	m.Records = m.Records[:0]
	m.Samples = m.Samples[:0]
}

func (m *Message) nextRecord() *Record {
	if len(m.Records) < cap(m.Records) {
		m.Records = m.Records[:len(m.Records)+1]
	} else {
		m.Records = append(m.Records, Record{})
	}
	r := &m.Records[len(m.Records)-1]
	r.Reset()
	return r
}

func (m *Message) nextSample() *Sample {
	if len(m.Samples) < cap(m.Samples) {
		m.Samples = m.Samples[:len(m.Samples)+1]
	} else {
		m.Samples = append(m.Samples, Sample{})
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
// dictionaries (distlog, logbook) as well as logbus records; msgpack is
// logbus's schema only.
func (d *Decoder) DecodeRecord(enc topic.Encoding, payload []byte, r *Record) (Shape, error) {
	r.Reset()
	switch enc {
	case topic.Msgpack:
		return ShapeLogbus, d.decodeMsgpack(payload, r)
	case topic.JSON:
		attrs, err := d.parseJSONObject(payload)
		if err != nil {
			return ShapeDict, err
		}
		return r.fromDict(attrs), nil
	case topic.Pickle:
		attrs, err := decodePickle(payload)
		if err != nil {
			return ShapeDict, err
		}
		return r.fromDict(attrs), nil
	}
	return ShapeDict, fmt.Errorf("%w: %q", ErrEncoding, byte(enc))
}

func (r *Record) fromDict(attrs []Attr) Shape {
	shape := shapeOf(attrs)
	if shape == ShapeLogbus {
		for _, a := range attrs {
			r.setField(a)
		}
	} else {
		recordFromPython(shape, attrs, r)
	}
	return shape
}

// DecodeSample decodes one sample payload (logbus schema) into s.
func (d *Decoder) DecodeSample(enc topic.Encoding, payload []byte, s *Sample) error {
	s.Reset()
	switch enc {
	case topic.Msgpack:
		return d.decodeMsgpack(payload, s)
	case topic.JSON:
		attrs, err := d.parseJSONObject(payload)
		if err != nil {
			return err
		}
		if shapeOf(attrs) != ShapeLogbus {
			return fmt.Errorf("%w: sample payload lacks the %q field", ErrSchema, keySchema)
		}
		for _, a := range attrs {
			s.setField(a)
		}
		return nil
	}
	return fmt.Errorf("%w: samples in %q", ErrEncoding, byte(enc))
}

func (d *Decoder) parseJSONObject(b []byte) ([]Attr, error) {
	p := jsonParser{b: b, str: &d.strs}
	v, err := p.document()
	if err != nil {
		return nil, err
	}
	if v.kind != KindGroup {
		return nil, fmt.Errorf("%w: payload is a JSON %s, not an object", ErrSchema, v.kind)
	}
	return v.Group(), nil
}

// fieldSetter is a Record or a Sample being decoded.
type fieldSetter interface {
	setField(Attr)
	setSubField(parent string, f Attr)
	attrList() *[]Attr
	envelope() *Envelope
}

func (r *Record) attrList() *[]Attr   { return &r.Attrs }
func (r *Record) envelope() *Envelope { return &r.Envelope }
func (s *Sample) envelope() *Envelope { return &s.Envelope }
func (s *Sample) attrList() *[]Attr   { return &s.Attrs }

// decodeMsgpack reads a top-level map, handing each field to dst; the
// "attrs" map is appended straight into dst's attributes to reuse their
// capacity.
func (d *Decoder) decodeMsgpack(b []byte, dst fieldSetter) error {
	attrs := dst.attrList()
	env := dst.envelope()
	rec, _ := dst.(*Record)
	m := mpReader{b: b, str: &d.strs}
	n, err := m.mapLen()
	if err != nil {
		return err
	}
	for range n {
		kb, err := m.rawStr()
		if err != nil {
			return err
		}
		if m.i < len(b) && !d.generic {
			if done, err := m.fastField(kb, env, rec); err != nil {
				return err
			} else if done {
				continue
			}
		}
		k := m.str.intern(kb)
		// The nested maps are read in place rather than built as groups.
		if (k == keyAttrs || k == keyRun || k == keySource) && m.i < len(b) && isMsgpackMap(b[m.i]) {
			na, err := m.mapLen()
			if err != nil {
				return err
			}
			for range na {
				var a Attr
				if a.Key, err = m.key(); err != nil {
					return err
				}
				if a.Value, err = m.value(2); err != nil {
					return err
				}
				if k == keyAttrs {
					*attrs = append(*attrs, a)
				} else {
					dst.setSubField(k, a)
				}
			}
			continue
		}
		v, err := m.value(1)
		if err != nil {
			return err
		}
		dst.setField(Attr{Key: k, Value: v})
	}
	if m.i != len(b) {
		return m.errorf("%d trailing bytes", len(b)-m.i)
	}
	return nil
}

func isMsgpackMap(c byte) bool { return c&0xf0 == 0x80 || c == 0xde || c == 0xdf }

// AppendRecord appends r's payload in encoding enc.
func AppendRecord(dst []byte, enc topic.Encoding, r *Record) ([]byte, error) {
	switch enc {
	case topic.Msgpack:
		return AppendRecordMsgpack(dst, r), nil
	case topic.JSON:
		return AppendRecordJSON(dst, r), nil
	}
	return dst, fmt.Errorf("%w: %q", ErrEncoding, byte(enc))
}

// AppendSample appends s's payload in encoding enc.
func AppendSample(dst []byte, enc topic.Encoding, s *Sample) ([]byte, error) {
	switch enc {
	case topic.Msgpack:
		return AppendSampleMsgpack(dst, s), nil
	case topic.JSON:
		return AppendSampleJSON(dst, s), nil
	}
	return dst, fmt.Errorf("%w: %q", ErrEncoding, byte(enc))
}
