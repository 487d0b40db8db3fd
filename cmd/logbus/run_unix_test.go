//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"
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
