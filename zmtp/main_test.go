package zmtp

import (
	"context"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// go-zeromq's PUB/XPUB leave a writer goroutine behind after
		// Close; it belongs to the interop peer, not to this package.
		goleak.IgnoreAnyFunction("github.com/go-zeromq/zmq4.(*pubMWriter).run"),
	)
}

// testCtx returns a context bounded well below the package test timeout.
func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newSock creates a socket closed at test cleanup.
func newSock(t testing.TB, typ Type, o *Options) *Socket {
	t.Helper()
	if o == nil {
		o = &Options{}
	}
	if o.Linger == 0 {
		o.Linger = 200 * time.Millisecond
	}
	s, err := NewSocket(typ, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close %s: %v", typ, err)
		}
	})
	return s
}

// bindLocal binds s to an ephemeral loopback port and returns the endpoint.
func bindLocal(t testing.TB, s *Socket) string {
	t.Helper()
	if err := s.Bind("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	eps := s.Endpoints()
	return eps[len(eps)-1]
}

// deadEndpoint returns a loopback endpoint nothing listens on: an
// ephemeral port that was bound and released.
func deadEndpoint(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ep := "tcp://" + ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return ep
}
