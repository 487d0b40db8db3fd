package pickle

import (
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/logbus/logbus/internal/vectors"
)

// vectorPickles returns every pickle frame of the captured vectors.
func vectorPickles(t testing.TB) [][]byte {
	var out [][]byte
	for _, base := range []string{"distlog_pickle", "distlog_topics", "distlog_genload"} {
		for _, line := range readJSONL(t, filepath.Join(vectors.Dir(), base+".jsonl")) {
			var vec struct {
				Frames []string `json:"frames"`
			}
			if err := json.Unmarshal(line, &vec); err != nil {
				t.Fatal(err)
			}
			if len(vec.Frames) != 2 || len(vec.Frames[0]) != 6 || vec.Frames[0][4:] != "50" { // topic byte 3 'P'
				continue
			}
			b, err := hex.DecodeString(vec.Frames[1])
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}

// FuzzDecode checks that no input panics, every error wraps a sentinel, and
// decoding is deterministic. Seeds: the captured vectors, their truncations,
// and the CPython pickles of every protocol (plus testdata/fuzz/FuzzDecode).
func FuzzDecode(f *testing.F) {
	seeds := vectorPickles(f)
	for _, p := range cpythonPickles {
		for _, s := range p {
			seeds = append(seeds, []byte(s))
		}
	}
	for _, s := range seeds {
		f.Add(s)
		for _, n := range []int{1, 2, len(s) / 3, len(s) / 2, len(s) - 2, len(s) - 1} {
			if n > 0 && n < len(s) {
				f.Add(s[:n])
			}
		}
	}
	small := &Limits{MaxItems: 64, MaxDepth: 8}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Decode(data)
		if err != nil {
			if !wrapsSentinel(err) {
				t.Fatalf("error %q wraps no sentinel", err)
			}
		} else {
			again, err := Decode(data)
			if err != nil {
				t.Fatalf("second decode failed: %v", err)
			}
			if s := diff("v", again, v); s != "" {
				t.Fatalf("not deterministic: %s", s)
			}
		}
		if _, err := DecodeLimits(data, small); err != nil && !wrapsSentinel(err) {
			t.Fatalf("error %q wraps no sentinel", err)
		}
	})
}
