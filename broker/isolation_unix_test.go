//go:build unix

package broker_test

import (
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logbus/logbus/internal/testbus"
)

// TestTenThousandStrangers: 10,000 connections (fewer where the file
// descriptor limit is lower) that open the ingest and never finish their
// handshake do not keep a publisher out: it gets in and its records flow.
func TestTenThousandStrangers(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skip(err)
	}
	n := min(10000, int(lim.Cur)/2-512)
	if n < 2000 {
		t.Skipf("file descriptor limit %d too low", lim.Cur)
	}
	b := testbus.StartBroker(t, nil) // --max-peers 1024
	addr := strings.TrimPrefix(b.Ingest(), "tcp://")
	conns := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("after %d connections: %v", len(conns), err)
		}
		conns = append(conns, c)
		if _, err := c.Write([]byte{0xff}); err != nil && len(conns) < 1024 {
			t.Fatal(err)
		}
	}
	dash := testbus.Subscriber(t, b.Fanout(), nil)
	start := time.Now()
	p := testbus.Publisher(t, b.Ingest(), nil)
	testbus.Joined(t, p, dash)
	took := time.Since(start)
	t.Logf("a publisher got in through %d strangers in %v; evicted %d", n, took, b.Stats().Ingest.Rejected.Evicted)
	if took > 5*time.Second {
		t.Errorf("took %v", took)
	}
}
