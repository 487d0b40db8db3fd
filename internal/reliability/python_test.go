package reliability

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus/internal/pyinterop"
)

// pySender is a Python program publishing with the logbus package: each
// line written to its stdin is logged as one record (equipment "eq",
// host "h"), so the matrix paces it like the Go senders. It prints its
// publisher's stream id first; at EOF it closes its handler (the bounded
// flush) and exits.
type pySender struct {
	stdin  io.WriteCloser
	cmd    *exec.Cmd
	stream uint64
	errOut strings.Builder
}

const pySenderScript = `
import logging, sys, logbus
h = logbus.Handler(sys.argv[1], equipment="eq", host="h", queue_records=1000000, flush_timeout=10,
                   replay_bytes=int(sys.argv[2]))
log = logging.getLogger("lab")
log.addHandler(h)
log.setLevel(logging.INFO)
log.propagate = False
print("stream %x" % h.publisher.stream, flush=True)
for line in iter(sys.stdin.readline, ""):
    log.info(line.rstrip("\n"))
h.close()
`

func startPySender(t *testing.T, ingest string, replay bool) *pySender {
	t.Helper()
	py, env := pyinterop.Package(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	replayBytes := "4194304"
	if !replay {
		replayBytes = "0"
	}
	p := &pySender{cmd: exec.CommandContext(ctx, py, "-c", pySenderScript, ingest, replayBytes)}
	p.cmd.Env = env
	p.cmd.Stderr = &p.errOut
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = p.cmd.Wait() // killed at the test's end if still running: its error says nothing new
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	hex, ok := strings.CutPrefix(strings.TrimSpace(line), "stream ")
	if err != nil || !ok {
		t.Fatalf("python sender said %q (%v); stderr %s", line, err, p.errOut.String())
	}
	if p.stream, err = strconv.ParseUint(hex, 16, 64); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *pySender) send(t *testing.T, msg string) {
	if _, err := fmt.Fprintln(p.stdin, msg); err != nil {
		t.Fatalf("python sender: %v; stderr %s", err, p.errOut.String())
	}
}

// stop closes its stdin and waits for its exit flush.
func (p *pySender) stop(t *testing.T) {
	if err := p.stdin.Close(); err != nil {
		t.Error(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("python sender: %v; stderr %s", err, p.errOut.String())
	}
	if s := p.errOut.String(); s != "" {
		t.Logf("python sender's stderr: %s", s)
	}
}
