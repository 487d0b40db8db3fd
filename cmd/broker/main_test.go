package main

import (
	"bytes"
	"context"
	"net/http"
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
// documented precedence; the component reports what it bound; cancelling
// the context stops it.
func TestRunsAndStops(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "broker.yaml")
	if err := os.WriteFile(cfg, []byte("ingest: tcp://127.0.0.1:0\nfanout: tcp://127.0.0.1:0\narchive: tcp://127.0.0.1:0\nhttp: 127.0.0.1:0\nlog-level: debug\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LOGBUS_ARCHIVE", "-")
	var stderr testsupport.LockedBuffer
	d, err := cli.ParseBroker("broker", []string{"--config", cfg, "--drain-timeout", "100ms"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	eps := d.Endpoints()
	if eps.Archive != "" || !strings.HasPrefix(eps.Ingest, "tcp://127.0.0.1:") || strings.HasSuffix(eps.Ingest, ":0") ||
		!strings.HasPrefix(d.HTTPAddr(), "http://127.0.0.1:") {
		t.Errorf("environment or file not applied, or endpoints not the bound ones: %+v %s", eps, d.HTTPAddr())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	resp, err := http.Get(d.HTTPAddr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Error(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop")
	}
}

// TestCommandExits0: the whole command (parse, open, run, close) ends
// with 0 when its context ends.
func TestCommandExits0(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stderr bytes.Buffer
	args := []string{"--ingest", "tcp://127.0.0.1:0", "--fanout", "tcp://127.0.0.1:0", "--archive", "-", "--http", "-", "--drain-timeout", "10ms"}
	if code := cli.RunBroker(ctx, "broker", args, &stderr); code != 0 {
		t.Errorf("exit %d: %s", code, stderr.String())
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
