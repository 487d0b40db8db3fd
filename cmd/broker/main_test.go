package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/logbus/logbus/cmd/internal/cli"
	"github.com/logbus/logbus/internal/testsupport"
)

func TestBadConfigurationExits2(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.yaml")
	if err := os.WriteFile(typo, []byte("ingest: tcp://127.0.0.1:0\nfanout-queu: 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badUsers := filepath.Join(dir, "users")
	if err := os.WriteFile(badUsers, []byte("# lab users\nlab7 no-colon\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--ingest-users-file", badUsers},
		{"--ingest-users-file", filepath.Join(dir, "absent")},
		{"--bogus"},
		{"--fanout-queue", "0"},
		{"--ingest", "udp://x"},
		{"--ingest", "tcp://nohost"},
		{"--config", filepath.Join(dir, "missing.yaml")},
		{"--config", typo},
		{"--log-level", "chatty"},
		{"--http", "http://127.0.0.1:0"},
	} {
		var stderr bytes.Buffer
		if code := cli.RunBroker(context.Background(), "broker", args, &stderr); code != cli.ExitUsage {
			t.Errorf("broker %q: exit %d want 2; %s", args, code, stderr.String())
		}
		if stderr.Len() == 0 {
			t.Errorf("broker %q: no message", args)
		}
	}
}

// TestRunsAndStops: flags, environment and file combine with the
// documented precedence, and cancelling the context stops it with 0.
func TestRunsAndStops(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "broker.yaml")
	if err := os.WriteFile(cfg, []byte("ingest: tcp://127.0.0.1:0\nfanout: tcp://127.0.0.1:0\narchive: tcp://127.0.0.1:0\nhttp: 127.0.0.1:0\nlog-level: debug\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LOGBUS_ARCHIVE", "-")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr testsupport.LockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.RunBroker(ctx, "broker", []string{"--config", cfg, "--drain-timeout", "100ms"}, &stderr)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "broker listening") {
		if time.Now().After(deadline) {
			t.Fatalf("never started: %s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop")
	}
	out := stderr.String()
	if !strings.Contains(out, "archive=disabled") || !strings.Contains(out, "http=http://127.0.0.1:") {
		t.Errorf("environment or file not applied:\n%s", out)
	}
}

// TestShippedConfigMatchesFlags: configs/broker.yaml names every flag and
// states its default.
func TestShippedConfigMatchesFlags(t *testing.T) {
	fs := cli.BrokerFlagSet()
	if err := fs.Parse([]string{"--config", "../../configs/broker.yaml"}); err != nil {
		t.Fatal(err)
	}
	v, err := cli.Load(fs, "config")
	if err != nil {
		t.Fatal(err)
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name == "config" {
			return
		}
		if !v.InConfig(f.Name) {
			t.Errorf("configs/broker.yaml does not document %q", f.Name)
			return
		}
		if got, want := strings.Trim(v.GetString(f.Name), "[]"), strings.Trim(f.DefValue, "[]"); got != want && !(f.Name == "max-message-size" && got == "16777216") {
			t.Errorf("%s: file says %q, flag default %q", f.Name, got, want)
		}
	})
}
