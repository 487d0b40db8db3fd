package zmtp

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	pythonOnce sync.Once
	pythonPath string
)

// findPython returns an interpreter that can import zmq (pyzmq, which
// wraps libzmq), or skips the test saying why. LOGBUS_PYTHON overrides the
// search; the first python3 on PATH is often one without pyzmq, so the
// system interpreter is tried as well.
func findPython(t *testing.T) string {
	t.Helper()
	pythonOnce.Do(func() {
		for _, c := range []string{os.Getenv("LOGBUS_PYTHON"), "python3", "/usr/bin/python3", "/usr/local/bin/python3", "python"} {
			if c == "" {
				continue
			}
			p, err := exec.LookPath(c)
			if err != nil {
				continue
			}
			if exec.Command(p, "-c", "import zmq").Run() == nil {
				pythonPath = p
				return
			}
		}
	})
	if pythonPath == "" {
		t.Skip("SKIP: no Python interpreter with pyzmq found (set LOGBUS_PYTHON); libzmq interop not tested")
	}
	return pythonPath
}

// pyPeer is a running testdata/zmqpeer.py.
type pyPeer struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	done  chan struct{}
}

func startPy(t *testing.T, args ...string) *pyPeer {
	t.Helper()
	py := findPython(t)
	script, err := filepath.Abs("testdata/zmqpeer.py")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, append([]string{script}, args...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &pyPeer{t: t, cmd: cmd, stdin: stdin, lines: make(chan string, 100), done: make(chan struct{})}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	t.Cleanup(p.stop)
	return p
}

// expect waits for the next line and requires it to start with prefix.
func (p *pyPeer) expect(prefix string) []string {
	p.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		var l string
		var ok bool
		select {
		case l, ok = <-p.lines:
		case <-timeout:
			p.t.Fatalf("python peer silent, wanted %q", prefix)
		}
		if !ok {
			p.t.Fatalf("python peer exited, wanted %q", prefix)
		}
		if l == "CONNECTING" && prefix != "CONNECTING" {
			continue
		}
		if !strings.HasPrefix(l, prefix) {
			p.t.Fatalf("python peer said %q, wanted %q", l, prefix)
		}
		return strings.Fields(l)
	}
}

// stop tells the script to finish and reaps it.
func (p *pyPeer) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	close(p.done)
	if err := p.stdin.Close(); err != nil {
		p.t.Logf("close python stdin: %v", err)
	}
	exited := make(chan error, 1)
	go func() {
		for range p.lines {
		}
		exited <- p.cmd.Wait()
	}()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		if err := p.cmd.Process.Kill(); err != nil {
			p.t.Logf("kill python peer: %v", err)
		}
		<-exited
	}
}
