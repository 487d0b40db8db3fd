package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus/broker"
	"github.com/logbus/logbus/filesink"
)

// TestUpDemo: broker, file sink and simulated instruments in one
// process; per-equipment files appear, and a stop loses nothing the
// instruments published.
func TestUpDemo(t *testing.T) {
	root := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- up(ctx,
			broker.Config{Ingest: "tcp://127.0.0.1:0", Fanout: "tcp://127.0.0.1:0", Archive: "tcp://127.0.0.1:0", DrainTimeout: 2 * time.Second},
			"127.0.0.1:0", filesink.Config{Root: root}, "127.0.0.1:0", true, &out, slog.New(slog.DiscardHandler))
	}()
	deadline := time.Now().Add(20 * time.Second)
	for _, eq := range demoInstruments {
		path := filepath.Join(root, eq.equipment, eq.host+".log")
		for !strings.Contains(readFile(path), "measured") {
			if time.Now().After(deadline) {
				t.Fatalf("%s never written; output:\n%s", path, out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, eq := range demoInstruments {
		path := filepath.Join(root, eq.equipment, eq.host+".log")
		if !strings.Contains(readFile(path), "instrument shutting down") {
			t.Errorf("%s: the last record before the stop is missing", path)
		}
		if readFile(filepath.Join(root, eq.equipment, eq.host+".samples.jsonl")) == "" {
			t.Errorf("%s: no samples", eq.equipment)
		}
	}
	for _, want := range []string{"publishers connect to  tcp://127.0.0.1:", "files are written to   " + root, "logbus tail --connect"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("start banner lacks %q:\n%s", want, out.String())
		}
	}
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

func TestUpUsage(t *testing.T) {
	for _, args := range [][]string{{"--bogus"}, {"--archive", "-"}, {"--path-template", "../x"}, {"--max-open", "-1"}, {"--fanout-queue", "0"}} {
		var out, errb bytes.Buffer
		if code := dispatch(append([]string{"up"}, args...), &out, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("up %q: exit %d %q", args, code, errb.String())
		}
	}
}
