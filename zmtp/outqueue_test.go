package zmtp

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"testing"
)

// TestOutQueue: whatever mix of messages, commands and raw bytes is
// queued, the chunks hold exactly the bytes a contiguous buffer would,
// in order, and writing them delivers those bytes.
func TestOutQueue(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var q outQueue
	var want []byte
	var enc sharedEnc
	held := 0 // what q.bytes must say: private bytes plus shared buffers held
	var shs []*sharedBuf
	for i := range 400 {
		switch rng.IntN(4) {
		case 3:
			// A message a PUB encoded once; sometimes another subscriber
			// took the one before it, so this one is not contiguous.
			if rng.IntN(3) == 0 {
				sh, _, _ := enc.encode(Msg{[]byte("PLM"), []byte("not for this queue")}, encodedSize(Msg{[]byte("PLM"), []byte("not for this queue")}))
				sh.release()
			}
			n := rng.IntN(3000)
			if i%70 == 0 {
				n = chunkSize + rng.IntN(chunkSize) // a buffer of its own
			}
			m := Msg{[]byte("PLM"), bytes.Repeat([]byte{byte(i)}, n)}
			sh, off, end := enc.encode(m, encodedSize(m))
			if c := q.charge(sh, off, end); c != q.appendShared(sh, off, end) {
				t.Fatal("charge differs from what appendShared added")
			} else {
				held += c
			}
			shs = append(shs, sh)
			sh.release()
			want = appendMsg(want, m)
			continue
		case 0:
			n := rng.IntN(300)
			if i%50 == 0 {
				n = chunkSize + rng.IntN(3*chunkSize) // larger than a chunk
			}
			m := Msg{[]byte("PLM"), bytes.Repeat([]byte{byte(i)}, n)}
			q.appendMsg(m, encodedSize(m))
			want = appendMsg(want, m)
			held += encodedSize(m)
		case 1:
			body := bytes.Repeat([]byte{byte(i)}, rng.IntN(2000))
			q.appendControl(func(b []byte) []byte { return appendCommand(b, cmdPING, body) })
			n := len(want)
			want = appendCommand(want, cmdPING, body)
			held += len(want) - n
		case 2:
			raw := appendMsg(nil, Msg{bytes.Repeat([]byte{byte(i)}, rng.IntN(3*chunkSize))})
			q.appendRaw(raw)
			want = append(want, raw...)
			held += len(raw)
		}
	}
	if q.bytes != held {
		t.Fatalf("bytes %d, want %d", q.bytes, held)
	}
	for _, g := range q.segs {
		if c := g.own; c != nil && len(*c) > chunkSize && cap(*c) != len(*c) {
			t.Fatalf("an oversized chunk of %d bytes has spare capacity %d", len(*c), cap(*c))
		}
	}
	cs := q.take(nil)
	if q.bytes != 0 || len(q.segs) != 0 {
		t.Fatal("take left bytes queued")
	}
	if !bytes.Equal(flatten(cs), want) {
		t.Fatal("chunks differ from the contiguous encoding")
	}

	// Written over TCP (a vectored write) the peer reads the same bytes.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		b, err := io.ReadAll(c)
		if err != nil {
			b = nil
		}
		got <- b
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := writeSegs(c, cs, nil)
	if err != nil || n != int64(len(want)) {
		t.Fatalf("wrote %d of %d: %v", n, len(want), err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("peer read %d bytes, want %d identical", len(b), len(want))
	}
	releaseSegs(cs)
	for i, c := range cs {
		if c != (seg{}) {
			t.Fatalf("segment %d still referenced after release", i)
		}
	}
	// Every shared buffer is held by the encoder alone now (its current
	// one) or by nobody.
	for i, sh := range shs {
		if r := sh.refs.Load(); r != 0 && !(sh == enc.cur && r == 1) {
			t.Fatalf("shared buffer %d: %d references left", i, r)
		}
	}
}
