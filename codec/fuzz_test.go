package codec

import (
	"bytes"
	"testing"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/internal/vectors"
	"github.com/logbus/logbus/topic"
)

// seedPayloads adds every payload frame of the Python vectors.
func seedPayloads(f *testing.F, keep func(topic []byte) bool) {
	for _, name := range vectors.Names {
		vs, _, err := vectors.Load(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, v := range vs {
			switch len(v.Frames) {
			case 1:
				if keep(nil) {
					f.Add(v.Frames[0])
				}
			default:
				if keep(v.Frames[0]) {
					f.Add(v.Frames[1])
				}
			}
		}
	}
}

// checkReencode requires a decoded record to survive its own round trip:
// whatever a decoder accepts, logbus can forward without loss.
func checkReencode(t *testing.T, r *logbus.Record) {
	var d Decoder
	for _, enc := range []topic.Encoding{topic.Msgpack, topic.JSON} {
		b, err := AppendRecord(nil, enc, r)
		if err != nil {
			t.Fatal(err)
		}
		var again logbus.Record
		if _, err := d.DecodeRecord(enc, b, &again); err != nil {
			t.Fatalf("re-decoding %c: %v\n%s", enc, err, b)
		}
		want := *r
		if enc == topic.JSON {
			want = validUTF8(want)
		}
		if !again.Equal(&want) {
			t.Fatalf("re-encoding %c changes the record\n got %+v\nwant %+v", enc, again, want)
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	seedPayloads(f, func(t []byte) bool { return t == nil || t[2] == 'J' })
	r := testsupport.TypicalRecord()
	f.Add(AppendRecordJSON(nil, &r))
	e := testsupport.EdgeRecord()
	f.Add(AppendRecordJSON(nil, &e))
	f.Add([]byte(`{"a":NaN,"b":-Infinity,"c":1e999,"d":"\ud800x","e":123456789012345678901234567890}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`))
	f.Add([]byte(`{"logbus":1,"time":1796040000.25,"attrs":{"a":{"$float":"NaN"}},"run":"not a group","source":{"line":"x"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Decoder
		var r logbus.Record
		_, err := d.DecodeRecord(topic.JSON, b, &r)
		// The one-pass path for logbus's schema decodes exactly as the
		// general one (a Value tree, then the fields), errors included.
		slow := Decoder{generic: true}
		var r2 logbus.Record
		_, err2 := slow.DecodeRecord(topic.JSON, b, &r2)
		if (err == nil) != (err2 == nil) || err == nil && !r.Equal(&r2) {
			t.Fatalf("fast and general paths differ on %q\n fast %+v %v\n gen  %+v %v", b, r, err, r2, err2)
		}
		if err != nil {
			return
		}
		checkReencode(t, &r)
	})
}

func FuzzDecodeMsgpack(f *testing.F) {
	r := testsupport.TypicalRecord()
	f.Add(AppendRecordMsgpack(nil, &r))
	e := testsupport.EdgeRecord()
	f.Add(AppendRecordMsgpack(nil, &e))
	f.Add([]byte{0x81, 0xa5, 'a', 't', 't', 'r', 's', 0xdf, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x81, 0xa1, 'x', 0xdd, 0x7f, 0xff, 0xff, 0xff})
	f.Add([]byte{0x81, 0xa1, 'x', 0xc9, 0x7f, 0xff, 0xff, 0xff, 0x02})
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Decoder
		var r logbus.Record
		_, err := d.DecodeRecord(topic.Msgpack, b, &r)
		// The fast path for common fields decodes exactly as the generic one.
		slow := Decoder{generic: true}
		var rs logbus.Record
		_, serr := slow.DecodeRecord(topic.Msgpack, b, &rs)
		if (err == nil) != (serr == nil) || err == nil && !rs.Equal(&r) {
			t.Fatalf("fast path differs: %v / %v\n fast %+v\n slow %+v", err, serr, r, rs)
		}
		if err != nil {
			return
		}
		checkReencode(t, &r)
		var s logbus.Sample
		if err := d.DecodeSample(topic.Msgpack, b, &s); err != nil {
			return
		}
		var again logbus.Sample
		if err := d.DecodeSample(topic.Msgpack, AppendSampleMsgpack(nil, &s), &again); err != nil || !again.Equal(&s) {
			t.Fatalf("sample re-encoding: %v\n got %+v\nwant %+v", err, again, s)
		}
	})
}

func FuzzDecodeMessage(f *testing.F) {
	for _, name := range vectors.Names {
		vs, _, err := vectors.Load(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, v := range vs {
			f.Add(bytes.Join(v.Frames, []byte{0}))
		}
	}
	f.Fuzz(func(t *testing.T, joined []byte) {
		frames := bytes.Split(joined, []byte{0})
		var d Decoder
		var m Message
		err := d.Decode(frames, &m)
		if err == nil && len(m.Records)+len(m.Samples) == 0 {
			t.Fatalf("Decode succeeded with nothing decoded from %d frames", len(frames))
		}
		if m.Failed > 0 && err == nil {
			t.Fatalf("%d frames failed but no error returned", m.Failed)
		}
	})
}
