package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logbus/logbus/broker"
	"github.com/logbus/logbus/cmd/internal/cli"
	"github.com/logbus/logbus/filesink"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/publisher"
)

// TestUpDemo: broker, file sink and simulated instruments in one
// process; per-equipment files appear, and a stop loses nothing the
// instruments published.
func TestUpDemo(t *testing.T) {
	root := t.TempDir()
	u, stop := startUp(t, broker.Config{Ingest: "tcp://127.0.0.1:0", Fanout: "tcp://127.0.0.1:0", Archive: "tcp://127.0.0.1:0", DrainTimeout: 2 * time.Second},
		filesink.Config{Root: root}, true)
	for _, eq := range demoInstruments {
		path := filepath.Join(root, eq.equipment, eq.host+".log")
		testsupport.WaitFor(t, 20*time.Second, path+" written", func() bool { return strings.Contains(readFile(path), "measured") })
	}
	if err := stop(); err != nil {
		t.Fatal(err)
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
	var out bytes.Buffer
	u.banner(&out)
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

// TestUpIPC: logbus up with ipc ingest, fan-out and archive (endpoints
// taken from the sockets, not rebuilt as tcp) writes what a publisher
// sends into the files, and its banner names the ipc endpoints.
func TestUpIPC(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("ipc:// is Unix domain sockets")
	}
	root, sockets := t.TempDir(), t.TempDir()
	ep := func(name string) string { return "ipc://" + filepath.Join(sockets, name) }
	u, stop := startUp(t, broker.Config{Ingest: ep("in"), Fanout: ep("out"), Archive: ep("arc"), DrainTimeout: 2 * time.Second},
		filesink.Config{Root: root}, false)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	var out bytes.Buffer
	u.banner(&out)
	for _, want := range []string{"publishers connect to  " + ep("in"), "dashboards subscribe   " + ep("out"), "file sinks subscribe   " + ep("arc")} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
	p, err := publisher.New(ep("in"), &publisher.Options{Host: "lab-7"})
	if err != nil {
		t.Fatal(err)
	}
	// The record waits in the publisher's queue until it has connected.
	slog.New(p.Handler()).InfoContext(publisher.WithEquipment(context.Background(), "scope-3"), "over ipc")
	path := filepath.Join(root, "scope-3", "lab-7.log")
	testsupport.WaitFor(t, 10*time.Second, "the record in "+path, func() bool { return strings.Contains(readFile(path), "over ipc") })
	closeCtx, cancelClose := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelClose()
	if err := p.Close(closeCtx); err != nil {
		t.Error(err)
	}
}

// startUp opens `logbus up` in process with both HTTP servers on free
// ports and runs it; stop ends it as a signal would and returns Run's and
// Close's errors.
func startUp(t *testing.T, bcfg broker.Config, scfg filesink.Config, demo bool) (u *upDaemon, stop func() error) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	bcfg.Logger, scfg.Logger = log, log
	u = &upDaemon{Broker: cli.Broker{Config: bcfg, HTTP: "127.0.0.1:0"}, Sink: cli.Filesink{Config: scfg, HTTP: "127.0.0.1:0"}, Demo: demo, Log: log}
	ctx, cancel := context.WithCancel(context.Background())
	if err := u.Open(ctx); err != nil {
		cancel()
		t.Fatal(errors.Join(err, u.Close()))
	}
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = errors.Join(<-done, u.Close())
		})
		return err
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return u, stop
}
