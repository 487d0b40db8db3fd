// Package pyinterop runs real Python ZeroMQ clients (pyzmq, logbook) in
// tests. The first python3 on PATH is often an interpreter without
// Debian's python3-zmq, so the system interpreter is tried too;
// LOGBUS_PYTHON overrides the search. Tests skip, saying why, when no
// interpreter has the modules they need.
package pyinterop

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logbus/logbus/internal/testsupport"
)

var (
	mu    sync.Mutex
	found = map[string]string{}
)

// Python returns an interpreter that can import every module named, or
// skips the test.
func Python(t testing.TB, modules ...string) string {
	t.Helper()
	key := strings.Join(modules, ",")
	mu.Lock()
	defer mu.Unlock()
	if p, ok := found[key]; ok {
		if p == "" {
			t.Skipf("SKIP: no Python interpreter can import %s (apt-get install python3-zmq python3-logbook, or set LOGBUS_PYTHON)", key)
		}
		return p
	}
	imports := "import " + strings.Join(modules, ", ")
	for _, c := range []string{os.Getenv("LOGBUS_PYTHON"), "/usr/bin/python3", "python3", "/usr/local/bin/python3"} {
		if c == "" {
			continue
		}
		p, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		if exec.Command(p, "-c", imports).Run() == nil {
			found[key] = p
			return p
		}
	}
	found[key] = ""
	t.Skipf("SKIP: no Python interpreter can import %s (apt-get install python3-zmq python3-logbook, or set LOGBUS_PYTHON)", key)
	return ""
}

// Package returns an interpreter that imports the repository's own
// logbus package (python/) and the modules named, with the environment to
// run it in, or skips the test. $LOGBUS_PYTHON comes first when it can
// (CI installs the package into a venv with pip and points it there);
// otherwise a system interpreter reads the package from the source tree
// (PYTHONPATH).
func Package(t testing.TB, modules ...string) (python string, env []string) {
	t.Helper()
	imports := "import " + strings.Join(append([]string{"logbus"}, modules...), ", ")
	if p := os.Getenv("LOGBUS_PYTHON"); p != "" {
		if exec.Command(p, "-c", imports).Run() == nil {
			return p, os.Environ()
		}
	}
	py := Python(t, append([]string{"zmq"}, modules...)...)
	env = append(os.Environ(), "PYTHONPATH="+SourceDir())
	cmd := exec.Command(py, "-c", imports)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s cannot import the logbus package from %s: %v\n%s", py, SourceDir(), err, out)
	}
	return py, env
}

// SourceDir is the repository's python/ directory.
func SourceDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "python")
}

// Start runs script (Python source) with args; stdout and stderr are
// captured. The process is killed when the test ends if still running.
func Start(t testing.TB, python, script string, args ...string) *Proc {
	t.Helper()
	return StartEnv(t, python, nil, script, args...)
}

// StartEnv is Start in the environment env (nil: this process's).
func StartEnv(t testing.TB, python string, env []string, script string, args ...string) *Proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, python, append([]string{"-c", script}, args...)...)
	cmd.Env = env
	p := &Proc{cmd: cmd, cancel: cancel, done: make(chan struct{})}
	cmd.Stdout = &p.out
	cmd.Stderr = &p.err
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
		if t.Failed() {
			t.Logf("python stdout:\n%s\npython stderr:\n%s\nexit: %v", p.out.String(), p.err.String(), p.waitErr)
		}
	})
	return p
}

// Proc is a running Python script.
type Proc struct {
	cmd     *exec.Cmd
	cancel  context.CancelFunc
	done    chan struct{}
	waitErr error
	out     testsupport.LockedBuffer
	err     testsupport.LockedBuffer
}

// Wait waits for the script to end (at most d) and returns its stdout.
func (p *Proc) Wait(t testing.TB, d time.Duration) string {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		p.cancel()
		<-p.done
		t.Fatalf("python script did not finish in %v; stderr:\n%s", d, p.err.String())
	}
	if p.waitErr != nil {
		t.Fatalf("python script failed: %v\nstderr:\n%s", p.waitErr, p.err.String())
	}
	return p.out.String()
}

// Stdout returns what the script printed so far.
func (p *Proc) Stdout() string { return p.out.String() }
