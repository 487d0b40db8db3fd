//go:build unix

package filesink

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/testsupport"
)

// TestOpenFileLimit: with a descriptor limit far below --max-open, the
// sink warns and keeps fewer files open, and when descriptors still run
// out (taken by something else in the process) it gives back its least
// recently used files and retries: every record reaches its own file,
// none is rerouted, no write fails.
func TestOpenFileLimit(t *testing.T) {
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	lowered := old
	lowered.Cur = 120
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lowered); err != nil {
		t.Skipf("cannot lower the open-file limit: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
			t.Error(err)
		}
	})
	var logged testsupport.LockedBuffer
	root := t.TempDir()
	s := newSink(t, Config{Root: root, MaxOpen: 256, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if !strings.Contains(logged.String(), "keeping fewer files open") || s.cfg.MaxOpen > 120-fdHeadroom {
		t.Fatalf("max open %d; log %q", s.cfg.MaxOpen, logged.String())
	}
	// Something else in the process takes all but a few descriptors.
	var hog []*os.File
	t.Cleanup(func() {
		for _, f := range hog {
			if err := f.Close(); err != nil {
				t.Error(err)
			}
		}
	})
	const equipments, rounds = 100, 3
	for round := range rounds {
		for i := range equipments {
			s.Add(recEvent(logbus.LevelInfo, fmt.Sprintf("eq-%d", i), "lab-7", fmt.Sprintf("round %d", round)))
		}
		s.Flush()
		if round == 0 {
			s.closeAll() // (the central log reopens at its next write)
			for {
				f, err := os.Open(os.DevNull)
				if err != nil {
					break
				}
				hog = append(hog, f)
			}
			for range 3 { // leave a few
				if err := hog[len(hog)-1].Close(); err != nil {
					t.Fatal(err)
				}
				hog = hog[:len(hog)-1]
			}
		}
	}
	for _, f := range hog {
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	hog = nil
	st := s.Stats()
	if st.Rerouted != 0 || st.WriteErrors != 0 {
		t.Errorf("rerouted %d, write errors %d; stats %+v", st.Rerouted, st.WriteErrors, st)
	}
	for i := range equipments {
		if l := readLines(t, filepath.Join(root, fmt.Sprintf("eq-%d", i), "lab-7.log")); len(l) != rounds {
			t.Fatalf("eq-%d: %d of %d lines", i, len(l), rounds)
		}
	}
}
