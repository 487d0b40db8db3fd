package filesink

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

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
