package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logbus/logbus/broker"

	"github.com/logbus/logbus/internal/testbus"

	"github.com/spf13/pflag"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/cmd/internal/cli"
	"github.com/logbus/logbus/internal/testbin"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/publisher"
)

func TestBadConfigurationExits2(t *testing.T) {
	for _, args := range [][]string{
		{"--bogus"},
		{"--path-template", "../{host}.log"},
		{"--path-template", "{nope}"},
		{"--format", "xml"},
		{"--fsync-level", "LOUD"},
		{"--max-open", "0"},
		{"--connect", "tcp://nohost", "--root", t.TempDir()},
	} {
		var stderr bytes.Buffer
		if code := cli.RunFilesink(context.Background(), "filesink", args, &stderr); code != cli.ExitUsage || stderr.Len() == 0 {
			t.Errorf("filesink %q: exit %d want 2; %q", args, code, stderr.String())
		}
	}
}

func TestShippedConfigsMatchFlags(t *testing.T) {
	for _, file := range []string{"../../configs/filesink.yaml", "../../configs/lab-wizard.yaml"} {
		fs := cli.FilesinkFlagSet()
		if err := fs.Parse([]string{"--config", file}); err != nil {
			t.Fatal(err)
		}
		v, err := cli.Load(fs, "config")
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if _, err := cli.FilesinkConfig(v); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if !strings.HasSuffix(file, "filesink.yaml") {
			continue
		}
		fs.VisitAll(func(f *pflag.Flag) {
			if f.Name == "config" {
				return
			}
			if !v.InConfig(f.Name) {
				t.Errorf("%s does not document %q", file, f.Name)
			} else if got := v.GetString(f.Name); got != f.DefValue {
				t.Errorf("%s: %s is %q, flag default %q", file, f.Name, got, f.DefValue)
			}
		})
	}
}

func sinkBinary(t *testing.T) string { return testbin.Build(t, "./cmd/filesink") }

type env struct {
	b    *testbus.Broker
	pub  *publisher.Publisher
	root string
	cmd  *exec.Cmd
	http string
	logs *testsupport.LockedBuffer
}

// start runs an in-process broker, a publisher and the filesink binary.
func start(t *testing.T) *env {
	t.Helper()
	b := testbus.StartBroker(t, nil)
	e := &env{b: b, root: t.TempDir(), logs: new(testsupport.LockedBuffer)}
	// A real process (for kill -9 and signals): its HTTP address is
	// chosen here, not read from its log.
	addr := testsupport.FreeAddr(t)
	e.http = "http://" + addr
	e.cmd = exec.Command(sinkBinary(t), "--connect", b.Archive(), "--root", e.root, "--http", addr, "--log-level", "debug")
	e.cmd.Stderr = e.logs
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if e.cmd.ProcessState == nil {
			if err := e.cmd.Process.Kill(); err != nil {
				t.Error(err)
			}
			if err := e.cmd.Wait(); err != nil {
				t.Log(err)
			}
		}
		if t.Failed() {
			t.Logf("file sink's log:\n%s", e.logs.String())
		}
	})
	e.pub = testbus.Publisher(t, b.Ingest(), nil)
	// Join: the archive subscription must be in place before counting.
	testsupport.WaitFor(t, 10*time.Second, "sink joined", func() bool {
		e.pub.Publish(&logbus.Record{Level: logbus.LevelDebug, Message: "probe"})
		return strings.Contains(readFile(filepath.Join(e.root, "central.log")), "probe")
	})
	return e
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

func countLines(path, substr string) int {
	n := 0
	for _, l := range strings.Split(readFile(path), "\n") {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

func metric(t *testing.T, base, name string) string {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == name {
			return f[1]
		}
	}
	return ""
}

// TestKill9KeepsErrors: ERROR records the sink has written survive a
// kill -9 of the sink, whole.
func TestKill9KeepsErrors(t *testing.T) {
	e := start(t)
	const n = 500
	for i := range n {
		e.pub.Publish(&logbus.Record{Level: logbus.LevelError, Message: fmt.Sprintf("fault %d", i), Envelope: logbus.Envelope{Equipment: "scope-3", Host: "lab-7"}})
	}
	path := filepath.Join(e.root, "scope-3", "lab-7.log")
	testsupport.WaitFor(t, 20*time.Second, "records written", func() bool { return countLines(path, "fault ") == n })
	// The fsync follows the write that made the records visible.
	var fsyncs string
	testsupport.WaitFor(t, 10*time.Second, "an fsync for ERROR records", func() bool {
		fsyncs = metric(t, e.http, "logbus_filesink_fsyncs_total")
		return fsyncs != "" && fsyncs != "0"
	})
	if err := e.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := e.cmd.Wait(); err == nil {
		t.Fatal("kill -9 reported success")
	}
	if got := countLines(path, "fault "); got != n {
		t.Errorf("%d of %d ERROR records after kill -9", got, n)
	}
}

// TestSIGHUPAndSIGTERM: SIGHUP reopens files renamed by logrotate;
// SIGTERM writes everything and exits 0.
func TestSIGHUPAndSIGTERM(t *testing.T) {
	e := start(t)
	path := filepath.Join(e.root, "scope-3", "lab-7.log")
	e.pub.Publish(&logbus.Record{Message: "before rotation", Envelope: logbus.Envelope{Equipment: "scope-3", Host: "lab-7"}})
	testsupport.WaitFor(t, 10*time.Second, "first record", func() bool { return countLines(path, "before rotation") == 1 })
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := e.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testsupport.WaitFor(t, 10*time.Second, "reopen", func() bool {
		e.pub.Publish(&logbus.Record{Message: "after rotation", Envelope: logbus.Envelope{Equipment: "scope-3", Host: "lab-7"}})
		return countLines(path, "after rotation") > 0
	})
	const n = 300
	for i := range n {
		e.pub.Publish(&logbus.Record{Message: fmt.Sprintf("last %d", i), Envelope: logbus.Envelope{Equipment: "scope-3", Host: "lab-7"}})
	}
	testsupport.WaitFor(t, 10*time.Second, "records read", func() bool { return countLines(path, "last ") == n })
	if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := e.cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	// Records handled before the signal may still reach the old file (as
	// with any logrotate postrotate); once the new file is in use, nothing
	// goes to the rotated one.
	if countLines(path+".1", "last ") != 0 {
		t.Error("wrote to the rotated file after reopening")
	}
}

// TestSinkReadiness: a file sink whose broker is not there is alive
// (/healthz 200) but not ready (/readyz 503, saying why, and
// logbus_filesink_connected 0); once the broker is up it is ready.
func TestSinkReadiness(t *testing.T) {
	archive := "tcp://" + testsupport.FreeAddr(t)
	var stderr testsupport.LockedBuffer
	d, err := cli.ParseFilesink("filesink", []string{"--connect", archive, "--root", t.TempDir(), "--http", "127.0.0.1:0"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := d.Open(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	get := func(path string) (int, string) {
		resp, err := http.Get(d.HTTPAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 {
		t.Errorf("healthz %d %q", code, body)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "not connected to the broker") {
		t.Errorf("readyz without a broker: %d %q", code, body)
	}
	if v := metric(t, d.HTTPAddr(), "logbus_filesink_connected"); v != "0" {
		t.Errorf("connected gauge %q without a broker", v)
	}
	testbus.StartBroker(t, &broker.Config{Archive: archive})
	testsupport.WaitFor(t, 10*time.Second, "ready", func() bool { code, _ := get("/readyz"); return code == 200 })
	if v := metric(t, d.HTTPAddr(), "logbus_filesink_connected"); v != "1" {
		t.Errorf("connected gauge %q with a broker", v)
	}
}
