package zmtp

import (
	"errors"
	"net"
	"runtime"
	"testing"
)

// TestSelfConnectRefused: a TCP dial that reached itself (simultaneous
// open on a local port nobody listens on, forced here by dialling from
// that very port) is closed and reported, so it cannot hold the port a
// server is about to bind.
func TestSelfConnectRefused(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("self-connection by simultaneous open is a Linux behaviour")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	d := net.Dialer{LocalAddr: addr}
	c, err := d.Dial("tcp", addr.String())
	if err != nil {
		t.Skipf("no self-connection here: %v", err)
	}
	if _, err := notSelf(c); !errors.Is(err, errSelfConnect) {
		t.Fatalf("a self-connection passed: %v", err)
	}
	l2, err := net.Listen("tcp", addr.String())
	if err != nil {
		t.Fatalf("the port is still held: %v", err)
	}
	if err := l2.Close(); err != nil {
		t.Fatal(err)
	}
}
