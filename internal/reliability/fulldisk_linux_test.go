package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/publisher"
)

// TestFullDiskSinkStopsNobody: two file sinks archive one broker; the
// first one's disk is full. The second one still gets every record at
// the publisher's pace, because the full one keeps reading (it sheds
// beyond its backlog) instead of holding the broker back; the full one
// then reports what it dropped.
func TestFullDiskSinkStopsNobody(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIP: needs root to mount a small tmpfs")
	}
	full := filepath.Join(t.TempDir(), "full")
	if err := os.Mkdir(full, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", full, "tmpfs", 0, "size=2m"); err != nil {
		t.Skipf("SKIP: cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(full, syscall.MNT_DETACH); err != nil {
			t.Error(err)
		}
	})
	a := newBrokerAddrs(t)
	startBroker(t, a)
	waitHealthy(t, a.http)
	healthy := t.TempDir()
	fullHTTP := testsupport.FreeAddr(t)
	startProc(t, "filesink", "--connect", a.archive, "--root", full, "--http", fullHTTP, "--log-level", "warn",
		"--archiver-name", "full", "--max-backlog", "262144")
	startProc(t, "filesink", "--connect", a.archive, "--root", healthy, "--http", "-", "--log-level", "warn",
		"--archiver-name", "healthy")
	pub := newPub(t, a.ingest, &publisher.Options{QueueRecords: 1 << 20})
	file := filepath.Join(healthy, "eq-0", "h.log")
	testsupport.WaitFor(t, 15*time.Second, "both sinks joined", func() bool {
		pub.Publish(&logbus.Record{Message: "probe", Envelope: logbus.Envelope{Equipment: "eq-0", Host: "h"}})
		return lines(file, "probe") > 0 && lines(filepath.Join(full, "eq-0", "h.log"), "probe") > 0
	})
	// Fill the full sink's disk.
	f, err := os.Create(filepath.Join(full, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	for chunk := make([]byte, 64<<10); ; {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// 5,000 records a second for 4 s, over 10 equipments.
	const n = 20000
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for i := 0; i < n; {
		<-tick.C
		for k := 0; k < 5 && i < n; k++ {
			pub.Publish(&logbus.Record{Message: fmt.Sprintf("full-disk-%d", i), Envelope: logbus.Envelope{Equipment: fmt.Sprintf("eq-%d", i%10), Host: "h"}})
			i++
		}
	}
	got := func() int {
		c := 0
		for e := range 10 {
			c += lines(filepath.Join(healthy, fmt.Sprintf("eq-%d", e), "h.log"), "full-disk-")
		}
		return c
	}
	// A full sink holding the broker back made the others wait on it:
	// 20,000 records at the ~160 a second it managed took minutes.
	testsupport.WaitFor(t, 20*time.Second, "every record at the healthy sink", func() bool { return got() == n })
	shed := metricsMatching(t, fullHTTP, "logbus_filesink_shed_total")
	if !strings.Contains(shed, "logbus_filesink_shed_total") || strings.HasSuffix(shed, " 0") {
		t.Errorf("the full sink shed nothing: %q", shed)
	}
}
