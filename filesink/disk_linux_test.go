package filesink

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logbus/logbus"
)

// TestFullDisk: a destination on a full filesystem fails, its records go
// to the central log (on another filesystem), other destinations and the
// records themselves are not lost, and no file keeps a torn line. Needs
// root to mount a small tmpfs.
func TestFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIP: full-disk test needs root to mount a tmpfs")
	}
	root := t.TempDir()
	small := filepath.Join(root, "tiny")
	if err := os.Mkdir(small, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", small, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("SKIP: cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(small, 0); err != nil {
			t.Error(err)
		}
	})
	s := newSink(t, Config{Root: root})
	line := strings.Repeat("z", 1000)
	const n = 200 // 200 KB: more than the 64 KB filesystem holds
	for i := range n {
		s.Add(recEvent(logbus.LevelInfo, "tiny", "lab-7", line))
		s.Add(recEvent(logbus.LevelInfo, "roomy", "lab-7", "ok"))
		if i%10 == 9 {
			s.Flush()
		}
	}
	s.Flush()
	// No torn line: the write that hit the limit stopped mid-record, and
	// that fragment was cut off.
	tiny, err := os.ReadFile(filepath.Join(small, "lab-7.log"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tiny) > 0 && tiny[len(tiny)-1] != '\n' {
		t.Errorf("the file ends inside a line: %q", tiny[max(0, len(tiny)-40):])
	}
	onTiny := 0
	for _, l := range readLines(t, filepath.Join(small, "lab-7.log")) {
		if !strings.HasSuffix(l, " "+line) {
			t.Errorf("torn line: %q", l[:min(len(l), 60)])
			continue
		}
		onTiny++
	}
	inCentral := 0
	for _, l := range readLines(t, filepath.Join(root, "central.log")) {
		if strings.Contains(l, line) {
			inCentral++
		}
	}
	if onTiny+inCentral != n {
		t.Errorf("%d on the full disk + %d in central != %d published", onTiny, inCentral, n)
	}
	if inCentral == 0 {
		t.Error("nothing rerouted: the disk never filled?")
	}
	if l := readLines(t, filepath.Join(root, "roomy", "lab-7.log")); len(l) != n {
		t.Errorf("healthy destination has %d of %d lines", len(l), n)
	}
}

// TestFullDiskKeepsReading: with the whole root on a full disk, the sink
// keeps taking records: the central log is tried once per back-off, not
// at every batch; what waits is bounded by MaxBacklog and the rest is
// shed and counted; once there is room, a DROPPED notice says exactly how
// many, and the equipment files resume within the back-off (5 s at most).
func TestFullDiskKeepsReading(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIP: full-disk test needs root to mount a tmpfs")
	}
	root := filepath.Join(t.TempDir(), "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", root, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("SKIP: cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(root, 0); err != nil {
			t.Error(err)
		}
	})
	s := newSink(t, Config{Root: root, MaxBacklog: 32 << 10})
	// Fill the disk.
	filler := filepath.Join(root, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	const n = 3000
	for i := range n {
		s.Add(recEvent(logbus.LevelInfo, fmt.Sprintf("eq-%d", i%10), "lab-7", fmt.Sprintf("record %d", i)))
		if i%50 == 49 {
			s.Flush()
			if b := s.Stats().Backlog; b > 32<<10 {
				t.Fatalf("after %d records: a backlog of %d bytes, bound 32 KiB", i+1, b)
			}
		}
		if i == n/2-1 {
			// Within one back-off, each file and the central log were
			// tried once, not at every batch.
			if st := s.Stats(); st.WriteErrors > 11 {
				t.Errorf("%d write errors for %d batches: the full disk is tried at every batch", st.WriteErrors, n/2/50)
			}
		}
		if i >= n/2 && i%500 == 499 {
			now = now.Add(2 * time.Second) // back-offs pass: every file is tried again, and fails
		}
	}
	st := s.Stats()
	if st.Backlog > 32<<10 || st.Shed == 0 {
		t.Errorf("backlog %d bytes (bound 32 KiB), %d shed", st.Backlog, st.Shed)
	}
	// Room again; the back-offs pass.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	now = now.Add(6 * time.Second)
	s.Add(recEvent(logbus.LevelInfo, "eq-0", "lab-7", "after the disk had room"))
	s.Flush()
	central := strings.Join(readLines(t, filepath.Join(root, "central.log")), "\n")
	if want := fmt.Sprintf("DROPPED records=%d ", s.Stats().Shed); !strings.Contains(central, want) {
		t.Errorf("no %q in the central log (stats %+v):\n%.2000s", want, s.Stats(), central)
	}
	if l := readLines(t, filepath.Join(root, "eq-0", "lab-7.log")); len(l) == 0 || !strings.Contains(l[len(l)-1], "after the disk had room") {
		t.Errorf("the equipment file did not resume: %q", l)
	}
}
