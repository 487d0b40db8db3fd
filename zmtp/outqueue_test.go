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
	for i := range 400 {
		switch rng.IntN(3) {
		case 0:
			n := rng.IntN(300)
			if i%50 == 0 {
				n = chunkSize + rng.IntN(3*chunkSize) // larger than a chunk
			}
			m := Msg{[]byte("PLM"), bytes.Repeat([]byte{byte(i)}, n)}
			q.appendMsg(m, encodedSize(m))
			want = appendMsg(want, m)
		case 1:
			body := bytes.Repeat([]byte{byte(i)}, rng.IntN(2000))
			q.appendControl(func(b []byte) []byte { return appendCommand(b, cmdPING, body) })
			want = appendCommand(want, cmdPING, body)
		case 2:
			raw := appendMsg(nil, Msg{bytes.Repeat([]byte{byte(i)}, rng.IntN(3*chunkSize))})
			q.appendRaw(raw)
			want = append(want, raw...)
		}
	}
	if q.bytes != len(want) {
		t.Fatalf("bytes %d, want %d", q.bytes, len(want))
	}
	for _, c := range q.chunks {
		if len(*c) > chunkSize && cap(*c) != len(*c) {
			t.Fatalf("an oversized chunk of %d bytes has spare capacity %d", len(*c), cap(*c))
		}
	}
	cs := q.take(nil)
	if q.bytes != 0 || len(q.chunks) != 0 {
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
	n, _, err := writeChunks(c, cs, nil)
	if err != nil || n != int64(len(want)) {
		t.Fatalf("wrote %d of %d: %v", n, len(want), err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("peer read %d bytes, want %d identical", len(b), len(want))
	}
	releaseChunks(cs)
	for i, c := range cs {
		if c != nil {
			t.Fatalf("chunk %d still referenced after release", i)
		}
	}
}
