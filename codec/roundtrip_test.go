package codec

import (
	"encoding/binary"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/logbus/logbus/topic"
)

// typicalRecord is the benchmark shape: a message and eight attributes.
func typicalRecord() Record {
	return Record{
		Envelope: Envelope{
			Time: time.Date(2026, 11, 22, 10, 36, 11, 426123456, time.UTC), Host: "lab-7", PID: 4242,
			Equipment: "scope-3", Run: Run{Project: "p-19", Kind: "calibration", ID: "r-2026-0042"},
			Stream: 0x9e3779b97f4a7c15, Seq: 1234567,
		},
		Level: LevelWarn, Message: "stage moved beyond soft limit", Logger: "stage.axis",
		Source: Source{File: "/opt/lab/stage.go", Line: 211, Function: "stage.(*Axis).Move"},
		Attrs: []Attr{
			{"axis", StringValue("x")}, {"target_um", FloatValue(1250.5)}, {"actual_um", FloatValue(1251.25)},
			{"retries", IntValue(3)}, {"ok", BoolValue(false)}, {"operator", StringValue("alice")},
			{"elapsed", DurationValue(1500 * time.Millisecond)},
			{"limits", GroupValue(Attr{"lo", IntValue(-5000)}, Attr{"hi", IntValue(5000)})},
		},
	}
}

func edgeRecord() Record {
	big1, _ := new(big.Int).SetString("-1180591620717411303424", 10)
	return Record{
		Envelope: Envelope{Time: time.Unix(0, 1).UTC()},
		Level:    LevelCritical + 3, Message: "line one\nline two\u2028\x00\"\\", Error: "Traceback\n  boom",
		Attrs: []Attr{
			{"nan", FloatValue(math.NaN())}, {"inf", FloatValue(math.Inf(1))}, {"ninf", FloatValue(math.Inf(-1))},
			{"negzero", FloatValue(math.Copysign(0, -1))}, {"whole", FloatValue(3)}, {"tiny", FloatValue(5e-324)},
			{"u64", Uint64Value(math.MaxUint64)}, {"i64", IntValue(math.MinInt64)}, {"big", BigIntValue(big1)},
			{"bytes", BytesValue([]byte{0, 0xff, 'a'})}, {"when", TimeValue(time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC))},
			{"before1970", TimeValue(time.Date(1969, 7, 20, 20, 17, 40, 5, time.UTC))},
			{"null", NullValue()}, {"list", ListValue(IntValue(1), StringValue("two"), ListValue())},
			{"empty", GroupValue()}, {"looks_tagged", GroupValue(Attr{"$float", StringValue("NaN")})},
			{"wrapper", GroupValue(Attr{"$group", GroupValue(Attr{"x", IntValue(1)})})},
			{"dup", IntValue(1)}, {"dup", IntValue(2)}, {"", StringValue("empty key")},
			{"emoji 😀 ключ", StringValue("日本語")},
		},
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, enc := range []topic.Encoding{topic.Msgpack, topic.JSON} {
		for name, r := range map[string]Record{"typical": typicalRecord(), "edge": edgeRecord(), "empty": {}} {
			b, err := AppendRecord(nil, enc, &r)
			if err != nil {
				t.Fatal(err)
			}
			var d Decoder
			var got Record
			shape, err := d.DecodeRecord(enc, b, &got)
			if err != nil {
				t.Fatalf("%c %s: %v\n%s", enc, name, err, b)
			}
			if shape != ShapeLogbus {
				t.Errorf("%c %s: shape %v", enc, name, shape)
			}
			if !got.Equal(&r) {
				t.Errorf("%c %s: round trip differs\n got %+v\nwant %+v\nwire %s", enc, name, got, r, b)
			}
		}
	}
}

func TestSampleRoundTrip(t *testing.T) {
	s := Sample{
		Envelope: Envelope{Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Host: "lab-7", Equipment: "cryo-1", Stream: 7, Seq: 9},
		Name:     "stage.temperature", Value: 21.4, Unit: "degC", Attrs: []Attr{{"sensor", StringValue("pt100")}},
	}
	for _, enc := range []topic.Encoding{topic.Msgpack, topic.JSON} {
		b, err := AppendSample(nil, enc, &s)
		if err != nil {
			t.Fatal(err)
		}
		var d Decoder
		var got Sample
		if err := d.DecodeSample(enc, b, &got); err != nil {
			t.Fatalf("%c: %v", enc, err)
		}
		if !got.Equal(&s) {
			t.Errorf("%c: got %+v want %+v", enc, got, s)
		}
		msg := [][]byte{[]byte("PP" + string(enc)), b, b}
		var m Message
		if err := d.Decode(msg, &m); err != nil || len(m.Samples) != 2 || !m.Samples[1].Equal(&s) {
			t.Errorf("%c: batch of samples: err %v, %d samples", enc, err, len(m.Samples))
		}
	}
}

func TestEncodeMsgpackNoAlloc(t *testing.T) {
	r := typicalRecord()
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(200, func() { buf = AppendRecordMsgpack(buf[:0], &r) }); n != 0 {
		t.Errorf("AppendRecordMsgpack allocates %v times per record", n)
	}
	if n := testing.AllocsPerRun(200, func() { buf = AppendRecordJSON(buf[:0], &r) }); n != 0 {
		t.Errorf("AppendRecordJSON allocates %v times per record", n)
	}
}

// genRecord builds a record from fuzz input, so the fuzzer explores the
// value space and the round trip is checked on what it finds.
func genRecord(data []byte) Record {
	g := gen{b: data}
	r := Record{
		Envelope: Envelope{
			Host: g.str(), PID: int64(g.u64()), Equipment: g.str(),
			Run:    Run{Project: g.str(), Kind: g.str(), ID: g.str()},
			Stream: g.u64(), Seq: g.u64(),
		},
		Level: Level(int32(g.u64())), Message: g.str(), Logger: g.str(), Error: g.str(),
	}
	if ns := int64(g.u64()); ns != 0 {
		r.Time = time.Unix(0, ns).UTC()
	}
	if g.byte()&1 == 1 {
		r.Source = Source{File: g.str(), Line: int64(g.u64()), Function: g.str()}
	}
	r.Attrs = g.attrs(0)
	return r
}

type gen struct{ b []byte }

func (g *gen) byte() byte {
	if len(g.b) == 0 {
		return 0
	}
	c := g.b[0]
	g.b = g.b[1:]
	return c
}

func (g *gen) u64() uint64 {
	var p [8]byte
	n := copy(p[:], g.b[:min(int(g.byte()%9), len(g.b))])
	g.b = g.b[n:]
	return binary.LittleEndian.Uint64(p[:])
}

func (g *gen) str() string {
	n := min(int(g.byte()%24), len(g.b))
	s := string(g.b[:n])
	g.b = g.b[n:]
	return s
}

func (g *gen) attrs(depth int) []Attr {
	n := int(g.byte() % 6)
	var as []Attr
	for range n {
		as = append(as, Attr{Key: g.str(), Value: g.value(depth)})
	}
	return as
}

func (g *gen) value(depth int) Value {
	switch g.byte() % 12 {
	case 1:
		return BoolValue(g.byte()&1 == 1)
	case 2:
		return IntValue(int64(g.u64()))
	case 3:
		return Uint64Value(g.u64())
	case 4:
		return FloatValue(math.Float64frombits(g.u64()))
	case 5:
		return StringValue(g.str())
	case 6:
		return BytesValue([]byte(g.str()))
	case 7:
		return TimeValue(time.Unix(0, int64(g.u64())))
	case 8:
		return DurationValue(time.Duration(g.u64()))
	case 9:
		b := new(big.Int).SetUint64(g.u64())
		b.Lsh(b, uint(g.byte()%100))
		if g.byte()&1 == 1 {
			b.Neg(b)
		}
		return BigIntValue(b)
	case 10:
		if depth < 4 {
			var l []Value
			for range int(g.byte() % 4) {
				l = append(l, g.value(depth+1))
			}
			return ListValue(l...)
		}
	case 11:
		if depth < 4 {
			return GroupValue(g.attrs(depth + 1)...)
		}
	}
	return NullValue()
}

// validUTF8 is what a JSON round trip makes of a record: every string
// with invalid bytes replaced by U+FFFD.
func validUTF8(r Record) Record {
	fix := func(s string) string { return string(toValidUTF8(nil, []byte(s))) }
	var fixAttrs func([]Attr) []Attr
	var fixValue func(Value) Value
	fixValue = func(v Value) Value {
		switch v.Kind() {
		case KindString:
			return StringValue(fix(v.Str()))
		case KindList:
			var l []Value
			for _, e := range v.List() {
				l = append(l, fixValue(e))
			}
			return ListValue(l...)
		case KindGroup:
			return GroupValue(fixAttrs(v.Group())...)
		}
		return v
	}
	fixAttrs = func(as []Attr) []Attr {
		var out []Attr
		for _, a := range as {
			out = append(out, Attr{fix(a.Key), fixValue(a.Value)})
		}
		return out
	}
	r.Host, r.Equipment, r.Message, r.Logger, r.Error = fix(r.Host), fix(r.Equipment), fix(r.Message), fix(r.Logger), fix(r.Error)
	r.Run = Run{fix(r.Run.Project), fix(r.Run.Kind), fix(r.Run.ID)}
	r.Source.File, r.Source.Function = fix(r.Source.File), fix(r.Source.Function)
	r.Attrs = fixAttrs(r.Attrs)
	return r
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("seed"))
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 200, 255, 128, 64, 32, 16, 8})
	for i := range 12 {
		f.Add([]byte{5, 'h', 'o', 's', 't', 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, byte(i), 2, 'k', byte(i), 0xff, 0xfe})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := genRecord(data)
		var d Decoder
		b := AppendRecordMsgpack(nil, &r)
		var got Record
		if _, err := d.DecodeRecord(topic.Msgpack, b, &got); err != nil {
			t.Fatalf("msgpack decode of own encoding: %v", err)
		}
		if !got.Equal(&r) {
			t.Fatalf("msgpack round trip differs\n got %+v\nwant %+v", got, r)
		}
		b = AppendRecordJSON(nil, &r)
		if _, err := d.DecodeRecord(topic.JSON, b, &got); err != nil {
			t.Fatalf("JSON decode of own encoding: %v\n%s", err, b)
		}
		want := validUTF8(r)
		if !got.Equal(&want) {
			t.Fatalf("JSON round trip differs\n got %+v\nwant %+v\nwire %s", got, want, b)
		}
	})
}
