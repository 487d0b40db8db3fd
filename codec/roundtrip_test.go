package codec

import (
	"encoding/binary"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/dialect"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/topic"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, enc := range []topic.Encoding{topic.Msgpack, topic.JSON} {
		for name, r := range map[string]logbus.Record{"typical": testsupport.TypicalRecord(), "edge": testsupport.EdgeRecord(), "empty": {}} {
			b, err := AppendRecord(nil, enc, &r)
			if err != nil {
				t.Fatal(err)
			}
			var d Decoder
			var got logbus.Record
			shape, err := d.DecodeRecord(enc, b, &got)
			if err != nil {
				t.Fatalf("%c %s: %v\n%s", enc, name, err, b)
			}
			if shape != dialect.Logbus {
				t.Errorf("%c %s: shape %v", enc, name, shape)
			}
			if !got.Equal(&r) {
				t.Errorf("%c %s: round trip differs\n got %+v\nwant %+v\nwire %s", enc, name, got, r, b)
			}
		}
	}
}

func TestSampleRoundTrip(t *testing.T) {
	s := logbus.Sample{
		Envelope: logbus.Envelope{Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Host: "lab-7", Equipment: "cryo-1", Stream: 7, Seq: 9},
		Name:     "stage.temperature", Value: 21.4, Unit: "degC", Attrs: []logbus.Attr{{Key: "sensor", Value: logbus.StringValue("pt100")}},
	}
	for _, enc := range []topic.Encoding{topic.Msgpack, topic.JSON} {
		b, err := AppendSample(nil, enc, &s)
		if err != nil {
			t.Fatal(err)
		}
		var d Decoder
		var got logbus.Sample
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
	r := testsupport.TypicalRecord()
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
func genRecord(data []byte) logbus.Record {
	g := gen{b: data}
	r := logbus.Record{
		Envelope: logbus.Envelope{
			Host: g.str(), PID: int64(g.u64()), Equipment: g.str(),
			Run:    logbus.Run{Project: g.str(), Kind: g.str(), ID: g.str()},
			Stream: g.u64(), Seq: g.u64(),
		},
		Level: logbus.Level(int32(g.u64())), Message: g.str(), Logger: g.str(), Error: g.str(),
	}
	if ns := int64(g.u64()); ns != 0 {
		r.Time = time.Unix(0, ns).UTC()
	}
	if g.byte()&1 == 1 {
		r.Source = logbus.Source{File: g.str(), Line: int64(g.u64()), Function: g.str()}
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

func (g *gen) attrs(depth int) []logbus.Attr {
	n := int(g.byte() % 6)
	var as []logbus.Attr
	for range n {
		as = append(as, logbus.Attr{Key: g.str(), Value: g.value(depth)})
	}
	return as
}

func (g *gen) value(depth int) logbus.Value {
	switch g.byte() % 12 {
	case 1:
		return logbus.BoolValue(g.byte()&1 == 1)
	case 2:
		return logbus.IntValue(int64(g.u64()))
	case 3:
		return logbus.Uint64Value(g.u64())
	case 4:
		return logbus.FloatValue(math.Float64frombits(g.u64()))
	case 5:
		return logbus.StringValue(g.str())
	case 6:
		return logbus.BytesValue([]byte(g.str()))
	case 7:
		return logbus.TimeValue(time.Unix(0, int64(g.u64())))
	case 8:
		return logbus.DurationValue(time.Duration(g.u64()))
	case 9:
		b := new(big.Int).SetUint64(g.u64())
		b.Lsh(b, uint(g.byte()%100))
		if g.byte()&1 == 1 {
			b.Neg(b)
		}
		return logbus.BigIntValue(b)
	case 10:
		if depth < 4 {
			var l []logbus.Value
			for range int(g.byte() % 4) {
				l = append(l, g.value(depth+1))
			}
			return logbus.ListValue(l...)
		}
	case 11:
		if depth < 4 {
			return logbus.GroupValue(g.attrs(depth + 1)...)
		}
	}
	return logbus.NullValue()
}

// validUTF8 is what a JSON round trip makes of a record: every string
// with invalid bytes replaced by U+FFFD.
func validUTF8(r logbus.Record) logbus.Record {
	fix := func(s string) string { // each invalid byte becomes U+FFFD, as the JSON encoding writes it
		var b strings.Builder
		for i, r := range s {
			if r == utf8.RuneError {
				if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
					b.WriteRune(utf8.RuneError)
					continue
				}
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	var fixAttrs func([]logbus.Attr) []logbus.Attr
	var fixValue func(logbus.Value) logbus.Value
	fixValue = func(v logbus.Value) logbus.Value {
		switch v.Kind() {
		case logbus.KindString:
			return logbus.StringValue(fix(v.Str()))
		case logbus.KindList:
			var l []logbus.Value
			for _, e := range v.List() {
				l = append(l, fixValue(e))
			}
			return logbus.ListValue(l...)
		case logbus.KindGroup:
			return logbus.GroupValue(fixAttrs(v.Group())...)
		}
		return v
	}
	fixAttrs = func(as []logbus.Attr) []logbus.Attr {
		var out []logbus.Attr
		for _, a := range as {
			out = append(out, logbus.Attr{Key: fix(a.Key), Value: fixValue(a.Value)})
		}
		return out
	}
	r.Host, r.Equipment, r.Message, r.Logger, r.Error = fix(r.Host), fix(r.Equipment), fix(r.Message), fix(r.Logger), fix(r.Error)
	r.Run = logbus.Run{Project: fix(r.Run.Project), Kind: fix(r.Run.Kind), ID: fix(r.Run.ID)}
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
		var got logbus.Record
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
