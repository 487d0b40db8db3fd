package codec

import (
	"math"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/topic"
)

// TestMsgpackReadableByLibrary checks that the hand-written encoder emits
// plain msgpack: an independent library reads every field back.
func TestMsgpackReadableByLibrary(t *testing.T) {
	r := testsupport.TypicalRecord()
	r.Attrs[6].Value = logbus.IntValue(1500) // logbus's duration extension aside
	b := AppendRecordMsgpack(nil, &r)
	var m map[string]any
	if err := msgpack.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	num := func(v any) int64 {
		switch n := v.(type) {
		case int8:
			return int64(n)
		case int16:
			return int64(n)
		case int32:
			return int64(n)
		case int64:
			return n
		case uint8:
			return int64(n)
		case uint16:
			return int64(n)
		case uint32:
			return int64(n)
		case uint64:
			return int64(n)
		}
		t.Fatalf("not a number: %T %v", v, v)
		return 0
	}
	if num(m["logbus"]) != 1 || num(m["level"]) != int64(logbus.LevelWarn) || m["msg"] != r.Message || m["host"] != "lab-7" {
		t.Errorf("envelope fields differ: %v", m)
	}
	if num(m["time"]) != r.Time.UnixNano() || uint64(num(m["stream"])) != r.Stream || num(m["seq"]) != int64(r.Seq) {
		t.Errorf("time/stream/seq differ: %v", m)
	}
	run := m["run"].(map[string]any)
	if run["project"] != "p-19" || run["kind"] != "calibration" || run["id"] != "r-2026-0042" {
		t.Errorf("run differs: %v", run)
	}
	attrs := m["attrs"].(map[string]any)
	if attrs["axis"] != "x" || attrs["target_um"] != 1250.5 || num(attrs["retries"]) != 3 || attrs["ok"] != false {
		t.Errorf("attrs differ: %v", attrs)
	}
	if lim := attrs["limits"].(map[string]any); num(lim["lo"]) != -5000 {
		t.Errorf("nested group differs: %v", lim)
	}
}

// TestMsgpackFromLibrary decodes a record that another implementation
// built from docs/wire.md: what a Python or C publisher would send.
func TestMsgpackFromLibrary(t *testing.T) {
	when := time.Date(2026, 11, 22, 10, 0, 0, 123, time.UTC)
	in := map[string]any{
		"logbus": 1, "time": when.UnixNano(), "level": 8, "msg": "pump stalled",
		"logger": "vacuum", "host": "lab-2", "pid": 77, "equipment": "pump-1",
		"run":    map[string]any{"project": "p", "kind": "k", "id": "i"},
		"stream": uint64(math.MaxUint64), "seq": 5,
		"attrs": map[string]any{"pressure": 1.5e-6, "stamp": when, "raw": []byte{1, 2}},
	}
	b, err := msgpack.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var d Decoder
	var r logbus.Record
	if _, err := d.DecodeRecord(topic.Msgpack, b, &r); err != nil {
		t.Fatal(err)
	}
	if !r.Time.Equal(when) || r.Level != logbus.LevelError || r.Message != "pump stalled" || r.Equipment != "pump-1" ||
		r.PID != 77 || r.Run.ID != "i" || r.Stream != math.MaxUint64 || r.Seq != 5 || r.Logger != "vacuum" {
		t.Errorf("record differs: %+v", r)
	}
	if v, _ := r.Attr("pressure"); v.Float64() != 1.5e-6 {
		t.Errorf("pressure %v", v)
	}
	if v, _ := r.Attr("stamp"); v.Kind() != logbus.KindTime || !v.Time().Equal(when) {
		t.Errorf("stamp %v", v)
	}
	if v, _ := r.Attr("raw"); v.Kind() != logbus.KindBytes || v.Str() != "\x01\x02" {
		t.Errorf("raw %v", v)
	}
}
