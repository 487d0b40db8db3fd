package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/codec"
	"github.com/logbus/logbus/internal/testbin"
	"github.com/logbus/logbus/publisher"
	"github.com/logbus/logbus/zmtp"
	"go.uber.org/goleak"
)

// The test binary doubles as the child program `logbus run` starts.
const childEnv = "LOGBUS_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(child(mode))
	}
	goleak.VerifyTestMain(m) // every command stops all it started
}

func child(mode string) int {
	log := slog.New(publisher.NewWorkerHandler(os.Stderr, nil))
	switch mode {
	case "worker-lines":
		fmt.Fprintln(os.Stdout, "protocol-data")
		log.Warn("motor hot", "equipment", "stage-2", "temp", 71.5)
		fmt.Fprintln(os.Stderr, "a plain line from a library")
		return 3
	case "wait-term":
		sig := notifyTerm()
		log.Info("ready")
		<-sig
		log.Info("got TERM")
		return 7
	}
	return 99
}

// logbusBinary builds the command once per test run.
func logbusBinary(t *testing.T) string { return testbin.Build(t, "./cmd/logbus") }

// recordPull is a broker stand-in: a PULL socket and the records of the
// last message not yet taken. The publisher batches records of one topic
// that queue up behind each other into one message (under load, say), so
// a message may carry several.
type recordPull struct {
	sock *zmtp.Socket
	buf  []logbus.Record
}

func startPull(t *testing.T) (*recordPull, string) {
	t.Helper()
	s, err := zmtp.NewSocket(zmtp.PULL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Bind("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return &recordPull{sock: s}, s.Endpoints()[0]
}

// recvRecord returns the next record, receiving a message when none is
// kept, failing the test after 10 s without one.
func recvRecord(t *testing.T, p *recordPull) logbus.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(p.buf) == 0 {
		frames, err := p.sock.Recv(ctx)
		if err != nil {
			t.Fatalf("no record: %v", err)
		}
		var d codec.Decoder
		var m codec.Message
		if err := d.Decode(frames, &m); err != nil {
			t.Fatal(err)
		}
		for _, r := range m.Records {
			r.Attrs = append([]logbus.Attr(nil), r.Attrs...)
			p.buf = append(p.buf, r)
		}
	}
	r := p.buf[0]
	p.buf = p.buf[1:]
	return r
}

func TestRunRelaysAndExits(t *testing.T) {
	bin := logbusBinary(t)
	pull, ep := startPull(t)
	cmd := exec.Command(bin, "run", "--endpoint", ep, "--tee=false", "--name", "worker", "--", os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"=worker-lines")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Fatalf("exit code %d (%v), want the child's 3; stderr: %s", code, err, stderr.String())
	}
	if stdout.String() != "protocol-data\n" {
		t.Errorf("stdout not passed through untouched: %q", stdout.String())
	}
	r1, r2 := recvRecord(t, pull), recvRecord(t, pull)
	if r1.Level != logbus.LevelWarn || r1.Message != "motor hot" || r1.Equipment != "stage-2" {
		t.Errorf("worker line record: %+v", r1)
	}
	if r2.Level != logbus.LevelInfo || r2.Message != "a plain line from a library" {
		t.Errorf("plain record: %+v", r2)
	}
	for _, r := range []logbus.Record{r1, r2} {
		if v, _ := r.Attr("child"); v.Str() != "worker" || r.PID == int64(os.Getpid()) || r.PID == 0 {
			t.Errorf("relay attributes: child=%v pid=%d", v, r.PID)
		}
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"run", "--bogus"}, {"run"}, {"run", "--system", "X", "--", "true"}, {"run", "--equipment", "../x", "--", "true"},
		{"run", "--fd", "0", "--", "true"}, {"run", "--fd", "3", "--fd", "3", "--", "true"}, {"run", "--fd", "x", "--", "true"}, {"frobnicate"}, {}} {
		var out, errb bytes.Buffer
		if code := dispatch(args, &out, &errb); code != exitUsage {
			t.Errorf("logbus %q exited %d, want %d", args, code, exitUsage)
		}
		if errb.Len() == 0 {
			t.Errorf("logbus %q printed no message", args)
		}
	}
	var out, errb bytes.Buffer
	if code := dispatch([]string{"run", "--help"}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "--endpoint") {
		t.Errorf("run --help: %d %q", code, errb.String())
	}
	if code := dispatch([]string{"version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "logbus ") {
		t.Errorf("version: %d %q", code, out.String())
	}
}

func TestRunMissingCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch([]string{"run", "--endpoint", "tcp://127.0.0.1:1", "--close-timeout", "10ms", "--", "/nonexistent/program"}, &out, &errb); code != 127 {
		t.Errorf("exit %d, want 127; %s", code, errb.String())
	}
}

// TestRunEquipmentFlagAndEnv (issue #16's input): `logbus run --equipment
// scope-3` and LOGBUS_EQUIPMENT put the equipment into records that name
// none (the plain line), and a worker line naming its own keeps it.
func TestRunEquipmentFlagAndEnv(t *testing.T) {
	bin := logbusBinary(t)
	for _, viaEnv := range []bool{false, true} {
		pull, ep := startPull(t)
		args := []string{"run", "--endpoint", ep, "--tee=false", "--name", "worker"}
		env := append(os.Environ(), childEnv+"=worker-lines")
		if viaEnv {
			env = append(env, "LOGBUS_EQUIPMENT=scope-3")
		} else {
			args = append(args, "--equipment", "scope-3")
		}
		cmd := exec.Command(bin, append(args, "--", os.Args[0])...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); cmd.ProcessState.ExitCode() != 3 {
			t.Fatalf("exit %v; stderr: %s", err, stderr.String())
		}
		r1, r2 := recvRecord(t, pull), recvRecord(t, pull)
		if r1.Equipment != "stage-2" || r2.Equipment != "scope-3" {
			t.Errorf("env %v: equipments %q (own) and %q (from the flag)", viaEnv, r1.Equipment, r2.Equipment)
		}
	}
}
