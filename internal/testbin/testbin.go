// Package testbin builds the repository's commands for tests that run
// them as real processes (free ports: testsupport.FreeAddr).
package testbin

import (
	"fmt"
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
