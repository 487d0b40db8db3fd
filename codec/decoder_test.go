package codec

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/dialect"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/topic"
)

func TestDecodeRejects(t *testing.T) {
	r := testsupport.TypicalRecord()
	good := AppendRecordMsgpack(nil, &r)
	cases := []struct {
		name   string
		frames [][]byte
		want   error
	}{
		{"no frames", nil, ErrMessage},
		{"topic only", [][]byte{[]byte("PLJ")}, ErrMessage},
		{"single non-JSON", [][]byte{[]byte("hello")}, ErrMessage},
		{"single JSON array", [][]byte{[]byte("[1,2]")}, ErrMessage},
		{"single broken JSON", [][]byte{[]byte(`{"channel":`)}, ErrJSON},
		{"bad topic", [][]byte{[]byte("XLJ"), []byte("{}")}, topic.ErrSystem},
		{"JSON scalar payload", [][]byte{[]byte("PLJ"), []byte("42")}, ErrSchema},
		{"msgpack not a map", [][]byte{[]byte("PLM"), {0x93, 1, 2, 3}}, ErrMsgpack},
		{"msgpack huge map", [][]byte{[]byte("PLM"), {0xdf, 0xff, 0xff, 0xff, 0xff}}, ErrMsgpack},
		{"msgpack huge string", [][]byte{[]byte("PLM"), {0x81, 0xdb, 0x7f, 0xff, 0xff, 0xff}}, ErrMsgpack},
		{"msgpack trailing", [][]byte{[]byte("PLM"), append(append([]byte{}, good...), 0xc0)}, ErrMsgpack},
		{"pickle garbage", [][]byte{[]byte("PLP"), []byte("\x80\x02garbage")}, ErrPickle},
		{"pickle not a dict", [][]byte{[]byte("PLP"), []byte("\x80\x02K*.")}, ErrSchema}, // the int 42
		{"msgpack bad big integer", [][]byte{[]byte("PLM"), {0x81, 0xa1, 'x', 0xc7, 2, 2, '1', 'x'}}, ErrMsgpack},
		{"deep JSON", [][]byte{[]byte("PLJ"), []byte(`{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "}")}, ErrTooDeep},
		{"samples in pickle", [][]byte{[]byte("PPP"), []byte("\x80\x02}q\x00.")}, ErrEncoding},
	}
	var d Decoder
	for _, c := range cases {
		var m Message
		err := d.Decode(c.frames, &m)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "codec: ") && !strings.HasPrefix(err.Error(), "topic: ") {
			t.Errorf("%s: error %q lacks a package prefix", c.name, err)
		}
	}
}

// TestBatchKeepsGoodFrames: one bad payload in a batch costs only itself.
func TestBatchKeepsGoodFrames(t *testing.T) {
	r := testsupport.TypicalRecord()
	good := AppendRecordMsgpack(nil, &r)
	var d Decoder
	var m Message
	err := d.Decode([][]byte{[]byte("PLM/scope-3/"), good, {0xc1}, good}, &m)
	if !errors.Is(err, ErrMsgpack) {
		t.Fatalf("error %v", err)
	}
	if m.Failed != 1 || len(m.Records) != 2 || !m.Records[0].Equal(&r) || !m.Records[1].Equal(&r) {
		t.Fatalf("failed %d, %d records", m.Failed, len(m.Records))
	}
	if m.Topic.Equipment != "scope-3" || !m.HasTopic {
		t.Errorf("topic %+v", m.Topic)
	}
}

func TestDecodeReusesMessage(t *testing.T) {
	r := testsupport.TypicalRecord()
	frames := [][]byte{[]byte("PLM"), AppendRecordMsgpack(nil, &r)}
	var d Decoder
	var m Message
	if err := d.Decode(frames, &m); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		if err := d.Decode(frames, &m); err != nil {
			t.Fatal(err)
		}
	}); n > 1 {
		t.Errorf("Decode of a typical record allocates %v times, want at most 1 (its nested group)", n)
	}
	if !m.Records[0].Equal(&r) {
		t.Errorf("reused message differs")
	}
}

// TestDecodeJSONAllocs pins what decoding JSON allocates today (the
// typical record: 32; what distlog sends: 21), so that a change cannot
// add to it unnoticed; a faster decoder lowers the bounds.
func TestDecodeJSONAllocs(t *testing.T) {
	r := testsupport.TypicalRecord()
	logbusJSON := AppendRecordJSON(nil, &r)
	distlog := []byte(`{"name": "root", "msg": "hello %s #%d", "args": null, "levelname": "INFO", "levelno": 20, "pathname": "/opt/lab/send.py", "filename": "send.py", "module": "send", "exc_info": null, "exc_text": null, "stack_info": null, "lineno": 61, "funcName": "run", "created": 1795343867.479808, "msecs": 479.0, "relativeCreated": 591.7487144470215, "thread": 139911978836032, "threadName": "MainThread", "processName": "MainProcess", "process": 11861, "context": null, "message": "hello world #42", "asctime": "2026-11-22 10:37:47,479", "hostname": "vm", "equipment_id": "scope-3"}`)
	for _, c := range []struct {
		name    string
		payload []byte
		max     float64
	}{{"logbus JSON", logbusJSON, 32}, {"distlog", distlog, 21}} {
		var d Decoder
		var got logbus.Record
		if n := testing.AllocsPerRun(100, func() {
			if _, err := d.DecodeRecord(topic.JSON, c.payload, &got); err != nil {
				t.Fatal(err)
			}
		}); n > c.max {
			t.Errorf("%s: %v allocations, want at most %v", c.name, n, c.max)
		}
	}
}

// TestIllTypedFieldsKept: a field of the wrong type is kept as an
// attribute, not dropped, and does not fail the record.
func TestIllTypedFieldsKept(t *testing.T) {
	var d Decoder
	var r logbus.Record
	_, err := d.DecodeRecord(topic.JSON, []byte(`{"logbus":1,"msg":"m","pid":"not a number","level":"LOUD","attrs":{"a":1}}`), &r)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := r.Attr("pid"); !ok || v.Str() != "not a number" {
		t.Errorf("pid kept as %v %v", v, ok)
	}
	if v, ok := r.Attr("level"); !ok || v.Str() != "LOUD" {
		t.Errorf("level kept as %v %v", v, ok)
	}
	if r.Message != "m" || r.Level != logbus.LevelInfo {
		t.Errorf("record %+v", r)
	}
}

func TestWorkerLine(t *testing.T) {
	var d Decoder
	var r logbus.Record
	shape, err := d.DecodeRecord(topic.JSON, []byte(`{"level":"WARNING","message":"motor hot","context":{"equipment_id":"stage-2","temp":71.5,"run_id":"r9"},"time":"2026-11-22T10:00:00.5Z"}`), &r)
	if err != nil || shape != dialect.WorkerLine {
		t.Fatalf("shape %v err %v", shape, err)
	}
	if r.Level != logbus.LevelWarn || r.Message != "motor hot" || r.Equipment != "stage-2" || r.Run.ID != "r9" || r.Time.Nanosecond() != 5e8 {
		t.Errorf("record %+v", r)
	}
	if v, ok := r.Attr("temp"); !ok || v.Float64() != 71.5 || len(r.Attrs) != 1 {
		t.Errorf("attrs %+v", r.Attrs)
	}
	if _, err := d.DecodeRecord(topic.JSON, []byte(`{"level":"LOUD","message":"x"}`), &r); err != nil || r.Level != logbus.LevelInfo {
		t.Errorf("unknown level: %v %v", r.Level, err)
	}
}

// TestJSONTimeNumbersAreSeconds (issue #16: `"time": 1764417600` was read
// as nanoseconds, 1970-01-01T00:00:01.764Z): in a JSON payload a number
// is Unix seconds, fractions allowed (to the microsecond); msgpack's
// integer nanoseconds are unchanged.
func TestJSONTimeNumbersAreSeconds(t *testing.T) {
	var d Decoder
	var r logbus.Record
	for _, tc := range []struct {
		json string
		want time.Time
	}{
		{`{"logbus":1,"time":1764417600,"msg":"x"}`, time.Unix(1764417600, 0).UTC()},
		{`{"logbus":1,"time":1764417600.25,"msg":"x"}`, time.Unix(1764417600, 250_000_000).UTC()},
		{`{"logbus":1,"time":"2025-11-29T12:00:00Z","msg":"x"}`, time.Date(2025, 11, 29, 12, 0, 0, 0, time.UTC)},
	} {
		if _, err := d.DecodeRecord(topic.JSON, []byte(tc.json), &r); err != nil {
			t.Fatal(err)
		}
		if !r.Time.Equal(tc.want) {
			t.Errorf("%s: time %v, want %v", tc.json, r.Time, tc.want)
		}
	}
	var s logbus.Sample
	if err := d.DecodeSample(topic.JSON, []byte(`{"logbus":1,"time":1764417600.5,"name":"t","value":1}`), &s); err != nil {
		t.Fatal(err)
	}
	if !s.Time.Equal(time.Unix(1764417600, 500_000_000)) {
		t.Errorf("sample time %v", s.Time)
	}
	// msgpack: integer nanoseconds, as before.
	r = logbus.Record{Envelope: logbus.Envelope{Time: time.Unix(0, 1764417600_123456789)}, Message: "x"}
	b := AppendRecordMsgpack(nil, &r)
	var back logbus.Record
	if _, err := d.DecodeRecord(topic.Msgpack, b, &back); err != nil || !back.Time.Equal(r.Time) {
		t.Errorf("msgpack time %v (%v)", back.Time, err)
	}
}

// TestSystemRoundTrip: a record's system survives JSON.
func TestSystemRoundTrip(t *testing.T) {
	r := logbus.Record{Envelope: logbus.Envelope{System: logbus.Staging}, Message: "x"}
	var d Decoder
	var back logbus.Record
	if _, err := d.DecodeRecord(topic.JSON, AppendRecordJSON(nil, &r), &back); err != nil || back.System != logbus.Staging || len(back.Attrs) != 0 {
		t.Errorf("system %q attrs %v (%v)", back.System, back.Attrs, err)
	}
}

// TestFreeFormSamples (issue #16: distlog's free-form performance dict
// {"cpu_load":0.5,"host":"pc-9"} was refused with DECODE-ERROR): one
// sample per numeric field, the envelope from the dict, the rest kept;
// a dict without numbers is still kept.
func TestFreeFormSamples(t *testing.T) {
	var d Decoder
	var m Message
	err := d.Decode([][]byte{[]byte("PPJ"),
		[]byte(`{"cpu_load":0.5,"mem_mb":1024,"host":"pc-9","equipment":"scope-3","note":"warm","time":1764417600}`),
		[]byte(`{"status":"ok"}`)}, &m)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Samples) != 3 {
		t.Fatalf("%d samples", len(m.Samples))
	}
	for i, want := range []struct {
		name  string
		value float64
	}{{"cpu_load", 0.5}, {"mem_mb", 1024}, {"fields", 0}} {
		s := m.Samples[i]
		if s.Name != want.name || s.Value != want.value {
			t.Errorf("sample %d: %s=%v", i, s.Name, s.Value)
		}
	}
	s := m.Samples[0]
	if s.Host != "pc-9" || s.Equipment != "scope-3" || !s.Time.Equal(time.Unix(1764417600, 0)) {
		t.Errorf("envelope %+v", s.Envelope)
	}
	attr := func(s logbus.Sample, key string) string {
		for _, a := range s.Attrs {
			if a.Key == key {
				return a.Value.Str()
			}
		}
		return ""
	}
	if attr(s, "note") != "warm" {
		t.Errorf("attrs %v", s.Attrs)
	}
	if attr(m.Samples[2], "status") != "ok" {
		t.Errorf("numberless dict: %v", m.Samples[2].Attrs)
	}
}

// TestJSONDecodeAllocs pins the JSON decoders' allocations once the
// decoder is warm (its string table and scratch filled): a logbus record
// like msgpack's, one (its nested group); distlog's and logbook's
// dictionaries, a handful (the attributes' values).
func TestJSONDecodeAllocs(t *testing.T) {
	r := testsupport.TypicalRecord()
	payload := AppendRecordJSON(nil, &r)
	var d Decoder
	var got logbus.Record
	if n := testing.AllocsPerRun(200, func() {
		if _, err := d.DecodeRecord(topic.JSON, payload, &got); err != nil {
			t.Fatal(err)
		}
	}); n > 1 {
		t.Errorf("logbus JSON: %v allocations per record, want at most 1 (msgpack's count)", n)
	}
	distlog := []byte(`{"name": "root", "msg": "hello %s #%d", "args": null, "levelname": "INFO", "levelno": 20, "pathname": "/opt/x.py", "lineno": 61, "funcName": "run", "created": 1795343867.479808, "process": 11861, "message": "hello world #42", "hostname": "vm", "equipment_id": "scope-3"}`)
	if n := testing.AllocsPerRun(200, func() {
		if _, err := d.DecodeRecord(topic.JSON, distlog, &got); err != nil {
			t.Fatal(err)
		}
	}); n > 4 {
		t.Errorf("distlog JSON: %v allocations per record, want at most 4", n)
	}
}

// TestJSONTagsAtTheTop (a review's inputs): both JSON paths read the
// schema's groups and tag-named keys the same way, records and samples
// alike, and a top-level "$group" wrapper is the dictionary it holds.
func TestJSONTagsAtTheTop(t *testing.T) {
	for _, in := range []string{
		`{"logbus":1,"attrs":{"$group":{"x":1}}}`,
		`{"logbus":1,"attrs":{"$float":"NaN"}}`,
		`{"logbus":1,"run":{"$duration":5}}`,
		`{"logbus":1,"$group":{"$float":"NaN"}}`,
		`{"logbus":1,"time":"1000-01-01T00:00:00Z","msg":"clamped"}`,
		`{"logbus":1,"time":"9999-12-31T23:59:59.5Z"}`,
	} {
		var fast, slow Decoder
		slow.generic = true
		var a, b logbus.Record
		_, err1 := fast.DecodeRecord(topic.JSON, []byte(in), &a)
		_, err2 := slow.DecodeRecord(topic.JSON, []byte(in), &b)
		if (err1 == nil) != (err2 == nil) || !a.Equal(&b) {
			t.Errorf("%s:\n fast %+v %v\n gen  %+v %v", in, a, err1, b, err2)
		}
	}
	// A user attribute named like a tag survives a round trip.
	r := logbus.Record{Level: logbus.LevelInfo, Message: "m", Attrs: []logbus.Attr{{Key: "$time", Value: logbus.StringValue("2020-01-01T00:00:00Z")}}}
	var d Decoder
	var back logbus.Record
	if _, err := d.DecodeRecord(topic.JSON, AppendRecordJSON(nil, &r), &back); err != nil || !back.Equal(&r) {
		t.Errorf("record round trip: %+v %v", back, err)
	}
	s := logbus.Sample{Name: "x", Value: 1, Attrs: r.Attrs}
	var sback logbus.Sample
	if err := d.DecodeSample(topic.JSON, AppendSampleJSON(nil, &s), &sback); err != nil || !sback.Equal(&s) {
		t.Errorf("sample round trip: %+v %v", sback, err)
	}
	var w logbus.Record
	shape, err := d.DecodeRecord(topic.JSON, []byte(`{"$group":{"level":"ERROR","message":"boom"}}`), &w)
	if err != nil || shape != dialect.WorkerLine || w.Message != "boom" || w.Level != logbus.LevelError {
		t.Errorf("top-level $group: %v %+v %v", shape, w, err)
	}
}
