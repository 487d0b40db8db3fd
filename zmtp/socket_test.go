package zmtp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/logbus/logbus/internal/testsupport"
)

func TestPushPull(t *testing.T) {
	ctx := testCtx(t)
	pull := newSock(t, PULL, nil)
	ep := bindLocal(t, pull)
	push := newSock(t, PUSH, nil)
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	const n = 5000
	go func() {
		for i := 0; i < n; i++ {
			if err := push.SendFrames(ctx, []byte("top"), []byte(fmt.Sprintf("msg-%d", i))); err != nil {
				t.Errorf("send: %v", err)
				return
			}
		}
	}()
	for i := 0; i < n; i++ {
		m, err := pull.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(m) != 2 || string(m[0]) != "top" || string(m[1]) != fmt.Sprintf("msg-%d", i) {
			t.Fatalf("message %d: got %q", i, m)
		}
	}
	testsupport.WaitFor(t, 10*time.Second, "sent counter", func() bool { return push.Stats().Sent == n })
	if st := pull.Stats(); st.Received != n {
		t.Fatalf("received %d", st.Received)
	}
}

func TestPubSubPrefix(t *testing.T) {
	ctx := testCtx(t)
	pub := newSock(t, PUB, nil)
	ep := bindLocal(t, pub)
	subA := newSock(t, SUB, nil)
	subB := newSock(t, SUB, nil)
	if err := subA.Subscribe([]byte("A")); err != nil {
		t.Fatal(err)
	}
	if err := subB.Subscribe([]byte("B")); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Socket{subA, subB} {
		if err := s.Connect(ep); err != nil {
			t.Fatal(err)
		}
	}
	testsupport.WaitFor(t, 10*time.Second, "subscriptions", func() bool {
		ps := *pub.peers.Load()
		if len(ps) != 2 {
			return false
		}
		for _, p := range ps {
			if p.subs.Load() == nil {
				return false
			}
		}
		return true
	})
	if n := pub.Subscribers(); n != 2 {
		t.Fatalf("Subscribers() = %d", n)
	}
	for i := 0; i < 100; i++ {
		if err := pub.SendFrames(ctx, []byte("A1"), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		if err := pub.SendFrames(ctx, []byte("B1"), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		if err := pub.SendFrames(ctx, []byte("C1"), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		s      *Socket
		prefix string
	}{{subA, "A"}, {subB, "B"}} {
		for i := 0; i < 100; i++ {
			m, err := c.s.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(m[0], []byte(c.prefix)) || m[1][0] != byte(i) {
				t.Fatalf("sub %s got %q", c.prefix, m)
			}
		}
	}
	testsupport.WaitFor(t, 10*time.Second, "sent counter", func() bool { return pub.Stats().Sent == 200 })
	if st := pub.Stats(); st.NoSubscriber != 100 {
		t.Fatalf("pub stats %+v", st)
	}
}

func TestRecvContext(t *testing.T) {
	pull := newSock(t, PULL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := pull.Recv(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}
