package filesink

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/logbus/logbus"
)

// TestTwoSinksSameFiles: two sinks (two sets of file descriptors, as two
// processes on a shared filesystem would have) append to the same files
// at once; every line comes out whole.
func TestTwoSinksSameFiles(t *testing.T) {
	root := t.TempDir()
	body := strings.Repeat("0123456789", 300) // 3 KB lines: well past any buffer boundary
	var wg sync.WaitGroup
	const perSink = 2000
	for w := range 2 {
		s := newSink(t, Config{Root: root})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perSink {
				s.Add(recEvent(logbus.LevelInfo, "shared", "lab-7", body+" writer="+string(rune('A'+w))))
				if i%7 == 0 {
					s.Flush()
				}
			}
			s.Flush()
		}()
	}
	wg.Wait()
	lines := readLines(t, filepath.Join(root, "shared", "lab-7.log"))
	if len(lines) != 2*perSink {
		t.Fatalf("%d lines, want %d", len(lines), 2*perSink)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, "2026-11-22T10:00:00.000Z INFO [host:lab-7] [equip:shared] 0123") ||
			!(strings.HasSuffix(l, body+" writer=A") || strings.HasSuffix(l, body+" writer=B")) {
			t.Fatalf("line %d torn: %.80q…", i, l)
		}
	}
}
