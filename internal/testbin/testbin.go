// Package testbin builds the repository's commands for tests that run
// them as real processes, and finds free loopback addresses for them.
package testbin

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	built = map[string]string{}
	errs  = map[string]error{}
)

// Build compiles the command in pkg (relative to the repository root,
// e.g. "./cmd/logbus") once per test process and returns the binary.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if err := errs[pkg]; err != nil {
		t.Fatal(err)
	}
	if p, ok := built[pkg]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "logbus-testbin")
	if err != nil {
		t.Fatal(err)
	}
	_, file, _, _ := runtime.Caller(0)
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		errs[pkg] = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		t.Fatal(errs[pkg])
	}
	built[pkg] = bin
	return bin
}

// FreeAddr returns a loopback host:port that nothing listens on (yet).
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
