// Package vectors loads the captured messages of real Python clients
// (testdata/vectors at the repository root) for golden tests in any
// package. Each vector is one ZeroMQ message exactly as it was received.
package vectors

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Vector is one captured message.
type Vector struct {
	Source   string   `json:"source"`
	Case     string   `json:"case"`
	Socket   string   `json:"socket"`
	Seq      int      `json:"seq"`
	HexFrame []string `json:"frames"`
	Frames   [][]byte `json:"-"`
}

// Decoded is what the reference Python decoders made of a vector.
type Decoded struct {
	Source       string          `json:"source"`
	Case         string          `json:"case"`
	Seq          int             `json:"seq"`
	Topic        string          `json:"topic"`
	StrictJSONOK *bool           `json:"strict_json_ok"`
	Decoded      json.RawMessage `json:"decoded"`
	LogbookDict  map[string]any  `json:"logbook_from_dict"`
}

// Dir is the directory holding the vector files.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "vectors")
}

// Load reads name (e.g. "distlog_json") and its decoded twin.
func Load(name string) ([]Vector, []Decoded, error) {
	var vs []Vector
	if err := readLines(filepath.Join(Dir(), name+".jsonl"), func(b []byte) error {
		var v Vector
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		for _, h := range v.HexFrame {
			f, err := hex.DecodeString(h)
			if err != nil {
				return err
			}
			v.Frames = append(v.Frames, f)
		}
		vs = append(vs, v)
		return nil
	}); err != nil {
		return nil, nil, err
	}
	var ds []Decoded
	if err := readLines(filepath.Join(Dir(), name+".decoded.jsonl"), func(b []byte) error {
		var d Decoded
		if err := json.Unmarshal(b, &d); err != nil {
			return err
		}
		ds = append(ds, d)
		return nil
	}); err != nil {
		return nil, nil, err
	}
	if len(ds) != len(vs) {
		return nil, nil, fmt.Errorf("vectors: %s has %d messages but %d decodings", name, len(vs), len(ds))
	}
	return vs, ds, nil
}

// Names lists the vector sets that hold ZeroMQ messages.
var Names = []string{"distlog_json", "distlog_pickle", "distlog_topics", "distlog_genload", "logbook_zmq_push", "logbook_zmq_pub", "logbook_aiopipe"}

func readLines(path string, fn func([]byte) error) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		if err := fn(sc.Bytes()); err != nil {
			return fmt.Errorf("vectors: %s: %w", filepath.Base(path), err)
		}
	}
	return sc.Err()
}
