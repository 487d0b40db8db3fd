package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
)

// profileEnv names the file a built-in daemon writes its CPU profile to.
// `logbus bench --profile` sets it for the broker and file sink it
// starts, so that each process's share of the work can be read with
// `go tool pprof`.
const profileEnv = "LOGBUS_CPUPROFILE"

// startProfile starts a CPU profile into path ("" : none) and returns
// the function that ends it and closes the file.
func startProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, errors.Join(fmt.Errorf("cpu profile: %w", err), f.Close())
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}
