//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logbus/logbus"
)

func notifyTerm() <-chan os.Signal {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM)
	return c
}

func TestRunForwardsSignals(t *testing.T) {
	bin := logbusBinary(t)
	pull, ep := startPull(t)
	cmd := exec.Command(bin, "run", "--endpoint", ep, "--tee=false", "--", os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"=wait-term")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if r := recvRecord(t, pull); r.Message != "ready" {
		t.Fatalf("first record %q", r.Message)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 7 {
		t.Fatalf("exit %d (%v), want the child's 7; stderr %s", code, err, stderr.String())
	}
	if r := recvRecord(t, pull); r.Message != "got TERM" {
		t.Errorf("after the signal: %q", r.Message)
	}
}

// TestRunRelaysDescriptors (issue #16's input: a logbook_aiopipe-style
// child streams JSON lines on a pipe other than stderr): `--fd 3` relays
// what the child writes on descriptor 3 and `--fd 1` its stdout, while
// stderr keeps working, its traceback joined into one record.
func TestRunRelaysDescriptors(t *testing.T) {
	bin := logbusBinary(t)
	pull, ep := startPull(t)
	script := `echo '{"level":"WARNING","message":"from fd 3","context":{"equipment_id":"stage-2"}}' >&3
echo 'from stdout'
printf 'Traceback (most recent call last):\n  File "w.py", line 1, in <module>\nKeyError: 3\n' >&2
exec 3>&-`
	cmd := exec.Command(bin, "run", "--endpoint", ep, "--fd", "3", "--fd", "1", "--name", "aiopipe", "--", "sh", "-c", script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v; stderr: %s", err, stderr.String())
	}
	got := map[string]logbus.Record{}
	for range 3 {
		r := recvRecord(t, pull)
		got[r.Message] = r
	}
	if r, ok := got["from fd 3"]; !ok || r.Level != logbus.LevelWarn || r.Equipment != "stage-2" {
		t.Errorf("fd 3 record: %+v (all: %v)", r, got)
	}
	if r, ok := got["from stdout"]; !ok || r.Level != logbus.LevelInfo {
		t.Errorf("stdout record: %+v", r)
	}
	if r, ok := got["KeyError: 3"]; !ok || r.Level != logbus.LevelError || !strings.HasPrefix(r.Error, "Traceback") {
		t.Errorf("stderr traceback record: %+v", r)
	}
	fd3 := got["from fd 3"]
	if v, _ := fd3.Attr("child"); v.Str() != "aiopipe" {
		t.Errorf("child attribute %v", v)
	}
	// --tee copies the relayed stdout and stderr, not descriptor 3.
	if stdout.String() != "from stdout\n" || !strings.Contains(stderr.String(), "KeyError: 3") || strings.Contains(stderr.String()+stdout.String(), "from fd 3") {
		t.Errorf("tee: stdout %q stderr %q", stdout.String(), stderr.String())
	}
}

// TestRunChildLeavesADaemon (found in a trial: `logbus run -- sh -c
// '(sleep 20 &); exit 3'` ran for 20 s and ignored Ctrl-C): once the child
// has exited, a process it started that still holds its stderr keeps
// logbus run for at most a second.
func TestRunChildLeavesADaemon(t *testing.T) {
	bin := logbusBinary(t)
	pull, ep := startPull(t)
	cmd := exec.Command(bin, "run", "--endpoint", ep, "--tee=false", "--", "sh", "-c", "(sleep 30 &); echo parent-done >&2; exit 3")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Fatalf("exit %d (%v); stderr %s", code, err, stderr.String())
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("logbus run took %v: it waited for the daemon", took)
	}
	if !strings.Contains(stderr.String(), "still holds its output") {
		t.Errorf("no word about the daemon: %s", stderr.String())
	}
	if r := recvRecord(t, pull); r.Message != "parent-done" {
		t.Errorf("record %q", r.Message)
	}
}
