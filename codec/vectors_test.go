package codec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/dialect"
	"github.com/logbus/logbus/internal/vectors"
)

// logRecordFields are the attributes Python's logging.LogRecord sets
// itself, plus the two distlog adds; every other key is an extra.
var logRecordFields = []string{
	"name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
	"exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread",
	"threadName", "processName", "process", "message", "asctime", "taskName", "hostname", "context",
}

// TestPythonVectors decodes every message real Python clients sent and
// compares it with what Python itself decoded.
func TestPythonVectors(t *testing.T) {
	total := 0
	for _, name := range vectors.Names {
		vs, ds, err := vectors.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		var dec Decoder
		for i, v := range vs {
			want := ds[i]
			label := fmt.Sprintf("%s #%d %s", name, v.Seq, v.Case)
			var m Message
			if err := dec.Decode(v.Frames, &m); err != nil {
				t.Errorf("%s: %v", label, err)
				continue
			}
			if len(m.Records) != 1 {
				t.Errorf("%s: %d records", label, len(m.Records))
				continue
			}
			if want.Topic != "" && m.Topic.String() != want.Topic {
				t.Errorf("%s: topic %q want %q", label, m.Topic, want.Topic)
			}
			expected, err := decodeOrdered(want.Decoded)
			if err != nil {
				t.Fatalf("%s: reading the Python decoding: %v", label, err)
			}
			r := &m.Records[0]
			switch {
			case strings.HasPrefix(v.Source, "distlog.genload"):
				checkDict(t, label, m.Shape, r, expected)
			case strings.HasPrefix(v.Source, "distlog"):
				checkDistlog(t, label, m.Shape, r, expected)
			default:
				checkLogbook(t, label, m.Shape, r, expected, want)
			}
			total++
		}
	}
	if total != 67 {
		t.Errorf("checked %d vectors, want 67 (54 JSON + 13 pickle)", total)
	}
}

func checkDistlog(t *testing.T, label string, shape dialect.Shape, r *logbus.Record, py orderedMap) {
	t.Helper()
	if shape != dialect.Distlog {
		t.Errorf("%s: shape %v", label, shape)
	}
	levelno, _ := strconv.ParseInt(py.get("levelno").(json.Number).String(), 10, 64)
	if r.Level != dialect.LevelFromPython(levelno) {
		t.Errorf("%s: level %v, Python levelno %d", label, r.Level, levelno)
	}
	if r.Message != py.get("message") {
		t.Errorf("%s: message %q want %q", label, r.Message, py.get("message"))
	}
	if r.Logger != py.get("name") {
		t.Errorf("%s: logger %q want %q", label, r.Logger, py.get("name"))
	}
	if r.Host != py.get("hostname") {
		t.Errorf("%s: host %q want %q", label, r.Host, py.get("hostname"))
	}
	if pid, _ := py.get("process").(json.Number).Int64(); r.PID != pid {
		t.Errorf("%s: pid %d want %d", label, r.PID, pid)
	}
	created, _ := py.get("created").(json.Number).Float64()
	if got, want := r.Time.UnixMicro(), int64(math.RoundToEven(created*1e6)); got != want {
		t.Errorf("%s: time %v (%d µs) want created %v", label, r.Time, got, created)
	}
	if msecs, _ := py.get("msecs").(json.Number).Float64(); r.Time.Nanosecond()/1e6 != int(msecs) {
		t.Errorf("%s: time %v disagrees with msecs %v", label, r.Time, msecs)
	}
	if exc, _ := py.get("exc_text").(string); !strings.HasPrefix(r.Error, exc) {
		t.Errorf("%s: error %q lacks exc_text %q", label, r.Error, exc)
	}
	if stack, _ := py.get("stack_info").(string); !strings.HasSuffix(r.Error, stack) {
		t.Errorf("%s: error %q lacks stack_info %q", label, r.Error, stack)
	}
	var extras orderedMap
	for _, kv := range py {
		if kv.key == "context" && kv.val != nil || !slices.Contains(logRecordFields, kv.key) {
			extras = append(extras, kv)
		}
	}
	checkExtras(t, label, r, extras)
}

func checkLogbook(t *testing.T, label string, shape dialect.Shape, r *logbus.Record, py orderedMap, want vectors.Decoded) {
	t.Helper()
	if shape != dialect.Logbook {
		t.Errorf("%s: shape %v", label, shape)
	}
	level, _ := py.get("level").(json.Number).Int64()
	if r.Level != dialect.LevelFromLogbook(level) {
		t.Errorf("%s: level %v, logbook level %d", label, r.Level, level)
	}
	if name, _ := want.LogbookDict["level_name"].(string); name != "" {
		if l, ok := logbus.ParseLevel(name); !ok || l != r.Level {
			t.Errorf("%s: level %v, logbook says %s", label, r.Level, name)
		}
	}
	if r.Message != py.get("message") {
		t.Errorf("%s: message %q want %q", label, r.Message, py.get("message"))
	}
	if r.Logger != py.get("channel") {
		t.Errorf("%s: logger %q want %q", label, r.Logger, py.get("channel"))
	}
	if exc, _ := py.get("formatted_exception").(string); r.Error != exc {
		t.Errorf("%s: error %q want %q", label, r.Error, exc)
	}
	// logbook's from_dict reads the unpadded microseconds as a fraction;
	// where the raw text has six digits or none both readings agree, and
	// the one short case is checked against the time the sender set.
	raw := py.get("time").(string)
	if strings.Contains(label, "us_005123") {
		if r.Time.Nanosecond() != 5123*1000 {
			t.Errorf("%s: time %v, want microsecond 5123", label, r.Time)
		}
	} else if s, _ := want.LogbookDict["time"].(string); s != "" {
		pyTime, err := time.Parse("2006-01-02T15:04:05.999999", s)
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		if !r.Time.Equal(pyTime) {
			t.Errorf("%s: time %v (raw %q) want %v", label, r.Time, raw, pyTime)
		}
	}
	var extras orderedMap
	if e, ok := py.get("extra").(orderedMap); ok {
		extras = e
	}
	checkExtras(t, label, r, extras)
}

func checkDict(t *testing.T, label string, shape dialect.Shape, r *logbus.Record, py orderedMap) {
	t.Helper()
	if shape != dialect.Dict {
		t.Errorf("%s: shape %v", label, shape)
	}
	checkExtras(t, label, r, py)
}

// checkExtras requires the record's attributes to be exactly the Python
// extras, in order, once the lab wizard's names have moved into the
// envelope.
func checkExtras(t *testing.T, label string, r *logbus.Record, extras orderedMap) {
	t.Helper()
	var keys []string
	for _, kv := range extras {
		switch kv.key {
		case "equipment_id", "equipment":
			if r.Equipment != fmt.Sprint(kv.val) {
				t.Errorf("%s: equipment %q want %v", label, r.Equipment, kv.val)
			}
			continue
		case "hostname":
			continue
		}
		keys = append(keys, kv.key)
		got, ok := r.Attr(kv.key)
		if !ok {
			t.Errorf("%s: extra %q missing", label, kv.key)
			continue
		}
		if err := matchValue(kv.val, got); err != nil {
			t.Errorf("%s: extra %q: %v", label, kv.key, err)
		}
	}
	var gotKeys []string
	for _, a := range r.Attrs {
		gotKeys = append(gotKeys, a.Key)
	}
	if !slices.Equal(keys, gotKeys) {
		t.Errorf("%s: attributes %q, Python extras %q", label, gotKeys, keys)
	}
}

// orderedMap is a JSON object read with encoding/json's tokenizer, an
// implementation independent of the one under test, keeping key order.
type orderedMap []struct {
	key string
	val any
}

func (m orderedMap) get(k string) any {
	for _, kv := range m {
		if kv.key == k {
			return kv.val
		}
	}
	return nil
}

func decodeOrdered(b []byte) (orderedMap, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := readOrdered(d)
	if err != nil {
		return nil, err
	}
	m, ok := v.(orderedMap)
	if !ok {
		return nil, fmt.Errorf("not an object: %T", v)
	}
	return m, nil
}

func readOrdered(d *json.Decoder) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		m := orderedMap{}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return nil, err
			}
			v, err := readOrdered(d)
			if err != nil {
				return nil, err
			}
			m = append(m, struct {
				key string
				val any
			}{k.(string), v})
		}
		_, err := d.Token()
		return m, err
	case json.Delim('['):
		l := []any{}
		for d.More() {
			v, err := readOrdered(d)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		_, err := d.Token()
		return l, err
	}
	return tok, nil
}

// matchValue compares a value of the Python decoding (with its tags for
// what JSON cannot say) with a decoded Value.
func matchValue(want any, got logbus.Value) error {
	mismatch := func() error { return fmt.Errorf("got %s %v, Python has %#v", got.Kind(), got, want) }
	switch w := want.(type) {
	case nil:
		if got.Kind() != logbus.KindNull {
			return mismatch()
		}
	case bool:
		if got.Kind() != logbus.KindBool || got.Bool() != w {
			return mismatch()
		}
	case string:
		if got.Kind() != logbus.KindString || got.Str() != w {
			return mismatch()
		}
	case json.Number:
		s := w.String()
		if strings.ContainsAny(s, ".eE") {
			f, _ := w.Float64()
			if got.Kind() != logbus.KindFloat || got.Float64() != f {
				return mismatch()
			}
		} else if b := got.BigInt(); b == nil || b.String() != s {
			return mismatch()
		}
	case []any:
		if got.Kind() != logbus.KindList || len(got.List()) != len(w) {
			return mismatch()
		}
		for i, e := range w {
			if err := matchValue(e, got.List()[i]); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
	case orderedMap:
		if len(w) == 1 {
			switch w[0].key {
			case "$float":
				f := map[string]float64{"NaN": math.NaN(), "Infinity": math.Inf(1), "-Infinity": math.Inf(-1)}[w[0].val.(string)]
				if got.Kind() != logbus.KindFloat || !logbus.FloatValue(f).Equal(got) {
					return mismatch()
				}
				return nil
			case "$tuple":
				return matchValue(w[0].val, got)
			case "$datetime":
				s, _ := w[0].val.(string)
				tm, err := time.Parse("2006-01-02T15:04:05.999999-07:00", s)
				if err != nil {
					tm, err = time.Parse("2006-01-02T15:04:05.999999", s)
				}
				if err != nil || got.Kind() != logbus.KindTime || !got.Time().Equal(tm) {
					return fmt.Errorf("%w (%v)", mismatch(), err)
				}
				return nil
			}
		}
		g := got.Group()
		if got.Kind() != logbus.KindGroup || len(g) != len(w) {
			return mismatch()
		}
		for i, kv := range w {
			if g[i].Key != kv.key {
				return fmt.Errorf("key %d: %q want %q", i, g[i].Key, kv.key)
			}
			if err := matchValue(kv.val, g[i].Value); err != nil {
				return fmt.Errorf("%s: %w", kv.key, err)
			}
		}
	default:
		return fmt.Errorf("unexpected Python value %T", want)
	}
	return nil
}
