package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestBenchSmoke runs a small end-to-end bench (separate broker and file
// sink processes) and checks its report: nothing lost, fields present.
func TestBenchSmoke(t *testing.T) {
	bin := logbusBinary(t)
	profiles := filepath.Join(t.TempDir(), "profiles") // created by the bench
	for _, run := range []struct{ name, flag, value string }{{"profiled", "--profile", profiles}, {"paced", "--rate", "20000"}} {
		var stdout, stderr bytes.Buffer
		args := []string{"bench", "--records", "2000", "--publishers", "2", "--json", "--timeout", "20s", run.flag, run.value}
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", run.name, err, stderr.String())
		}
		var res map[string]any
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			t.Fatalf("%s: not JSON: %q", run.name, stdout.String())
		}
		for _, k := range []string{"records_per_sec", "lost", "p50_ms", "p99_ms", "cpu_seconds", "peak_rss_mib"} {
			if _, ok := res[k]; !ok {
				t.Errorf("%s: no %q in %v", run.name, k, res)
			}
		}
		if res["lost"] != 0.0 || res["records"] != 4000.0 || res["records_per_sec"].(float64) <= 0 {
			t.Errorf("%s: %v", run.name, res)
		}
	}

	// --profile left one CPU profile per component (gzipped protobuf).
	for _, name := range []string{"publishers", "broker", "filesink"} {
		b, err := os.ReadFile(filepath.Join(profiles, name+".pprof"))
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s profile: %d bytes, %v", name, len(b), err)
		}
	}
}
