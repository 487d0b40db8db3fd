package pickle

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus/internal/vectors"
)

// The vectors in the repository's testdata/vectors were captured from the real Python
// clients; *.decoded.jsonl holds what CPython's pickle.loads produced, in a
// tagged JSON form ({"$float":"NaN"}, {"$tuple":[...]}, {"$datetime":iso}).
// Every pickle frame must decode to exactly that value, including key order.
func TestGoldenVectors(t *testing.T) {
	total := 0
	for _, base := range []string{"distlog_pickle", "distlog_topics", "distlog_genload"} {
		frames := readJSONL(t, filepath.Join(vectors.Dir(), base+".jsonl"))
		decoded := readJSONL(t, filepath.Join(vectors.Dir(), base+".decoded.jsonl"))
		if len(frames) != len(decoded) {
			t.Fatalf("%s: %d vectors but %d decoded lines", base, len(frames), len(decoded))
		}
		for i, line := range frames {
			var vec struct {
				Case   *string  `json:"case"`
				Seq    int      `json:"seq"`
				Frames []string `json:"frames"`
			}
			if err := json.Unmarshal(line, &vec); err != nil {
				t.Fatal(err)
			}
			topic, err := hex.DecodeString(vec.Frames[0])
			if err != nil || len(topic) != 3 {
				t.Fatalf("%s #%d: bad topic frame %q", base, i, vec.Frames[0])
			}
			if topic[2] != 'P' {
				continue // JSON-encoded record, not this package's business
			}
			name := fmt.Sprintf("%s/%d", base, vec.Seq)
			if vec.Case != nil {
				name += "_" + *vec.Case
			}
			t.Run(name, func(t *testing.T) {
				payload, err := hex.DecodeString(vec.Frames[1])
				if err != nil {
					t.Fatal(err)
				}
				want := decodedValue(t, decoded[i])
				got, err := Decode(payload)
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if s := diff("record", got, want); s != "" {
					t.Error(s)
				}
			})
			total++
		}
	}
	if total != 13 {
		t.Errorf("decoded %d pickle frames, want the 13 in the vectors", total)
	}
}

// TestGoldenDatetime pins how case c09's datetime extra comes out.
func TestGoldenDatetime(t *testing.T) {
	payload := vectorPayload(t, "distlog_pickle", "c09_datetime_extra")
	v, err := Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	when, ok := v.(*Dict).Get("when")
	if !ok {
		t.Fatal("no when key")
	}
	tm, ok := when.(time.Time)
	if !ok {
		t.Fatalf("when is %T, want time.Time", when)
	}
	want := time.Date(2024, 1, 2, 3, 4, 5, 6789000, time.UTC)
	if !tm.Equal(want) || tm.Location() != time.UTC {
		t.Errorf("when = %v (%v), want %v in time.UTC", tm, tm.Location(), want)
	}
}

func vectorPayload(t testing.TB, base, name string) []byte {
	t.Helper()
	for _, line := range readJSONL(t, filepath.Join(vectors.Dir(), base+".jsonl")) {
		var vec struct {
			Case   string   `json:"case"`
			Frames []string `json:"frames"`
		}
		if err := json.Unmarshal(line, &vec); err != nil {
			t.Fatal(err)
		}
		if vec.Case == name {
			b, err := hex.DecodeString(vec.Frames[1])
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("no vector %s in %s", name, base)
	return nil
}

func readJSONL(t testing.TB, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			lines = append(lines, bytes.Clone(sc.Bytes()))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// decodedValue extracts the "decoded" member of a *.decoded.jsonl line as
// this package's value types.
func decodedValue(t *testing.T, line []byte) any {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(line, &top); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(top["decoded"]))
	dec.UseNumber()
	v, err := parseTagged(dec)
	if err != nil {
		t.Fatalf("decoded value: %v", err)
	}
	return v
}

// parseTagged reads one JSON value, keeping object key order, mapping
// numbers the way Python's json wrote them (a float always has '.' or an
// exponent) and resolving the single-key "$tag" objects.
func parseTagged(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := tok.(type) {
	case json.Delim:
		switch x {
		case '[':
			items := []any{}
			for dec.More() {
				v, err := parseTagged(dec)
				if err != nil {
					return nil, err
				}
				items = append(items, v)
			}
			_, err := dec.Token()
			return items, err
		case '{':
			d := &Dict{Keys: []any{}, Values: []any{}}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := parseTagged(dec)
				if err != nil {
					return nil, err
				}
				d.Keys = append(d.Keys, k)
				d.Values = append(d.Values, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			if k, ok := d.Keys[0].(string); len(d.Keys) == 1 && ok && strings.HasPrefix(k, "$") {
				return untag(k, d.Values[0])
			}
			return d, nil
		}
	case json.Number:
		s := x.String()
		if strings.ContainsAny(s, ".eE") {
			return x.Float64()
		}
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		z, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return nil, fmt.Errorf("bad number %q", s)
		}
		return z, nil
	}
	return tok, nil // string, bool, nil
}

func untag(tag string, v any) (any, error) {
	switch tag {
	case "$float":
		switch v {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
	case "$tuple":
		if items, ok := v.([]any); ok {
			return Tuple(items), nil
		}
	case "$datetime":
		// Python's isoformat: an offset only for aware values.
		s, _ := v.(string)
		if tm, err := time.Parse("2006-01-02T15:04:05.999999Z07:00", s); err == nil {
			if _, off := tm.Zone(); off == 0 {
				tm = tm.In(time.UTC) // timezone.utc decodes to time.UTC
			}
			return tm, nil
		}
		return time.ParseInLocation("2006-01-02T15:04:05.999999", s, Naive)
	}
	return nil, fmt.Errorf("unknown tag %s: %v", tag, v)
}
