package zmtp

import (
	"bufio"
	"bytes"
	"testing"
)

func FuzzGreeting(f *testing.F) {
	f.Add(appendGreeting(nil, greeting{major: 3, minor: 1, mechanism: "NULL"}))
	f.Add(appendGreeting(nil, greeting{major: 3, minor: 0, mechanism: "PLAIN", asServer: true}))
	f.Add([]byte("GET / HTTP/1.1\r\n"))
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := parseGreeting(b)
		if err != nil {
			return
		}
		// Whatever parses must survive a round trip.
		g2, err := parseGreeting(appendGreeting(nil, g))
		if err != nil || g2 != g {
			t.Fatalf("round trip %+v -> %+v %v", g, g2, err)
		}
	})
}

func FuzzCommand(f *testing.F) {
	f.Add(appendCommand(nil, cmdREADY, appendMetadata(nil, property{"Socket-Type", []byte("PUB")})))
	f.Add(appendCommand(nil, cmdPING, []byte{0, 10}, []byte("ctx")))
	f.Add(appendCommand(nil, cmdHELLO, []byte{1, 'u', 1, 'p'}))
	f.Add(appendError(nil, "nope"))
	f.Add([]byte("^RROR\x03400"))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := parseCommand(body)
		if err != nil {
			return
		}
		switch c.name {
		case cmdREADY, cmdINITIATE:
			props, err := parseMetadata(c.data)
			if err == nil {
				re := appendMetadata(nil, props...)
				if !bytes.Equal(re, c.data) {
					t.Fatalf("metadata round trip differs")
				}
			}
		case cmdPING:
			_, _, _ = parsePing(c.data)
		case cmdHELLO:
			_, _, _ = parseHello(c.data)
		case cmdERROR:
			_ = parseError(c.data)
		}
	})
}

// FuzzFrames feeds arbitrary bytes to the data-phase reader of a PULL
// socket, exactly as they would come from the network after a handshake.
func FuzzFrames(f *testing.F) {
	f.Add(appendMsg(nil, Msg{[]byte("topic"), []byte("payload")}))
	f.Add(append(appendCommand(nil, cmdPING, []byte{0, 1}), appendMsg(nil, Msg{bytes.Repeat([]byte{1}, 300)})...))
	f.Add([]byte{flagLong, 0x40, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{flagMore, 1, 'a', flagCommand, 4, 4, 'P', 'O', 'N'})
	f.Add(appendCommand(nil, cmdSUBSCRIBE, []byte("x")))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, typ := range []Type{PULL, PUB, XPUB, SUB} {
			s, err := NewSocket(typ, &Options{MaxMsgSize: 1 << 16, RecvHWM: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			if typ == SUB {
				if err := s.Subscribe(nil); err != nil {
					t.Fatal(err)
				}
			}
			p := newPeer(s, nopConn{}, &connReader{}, bufio.NewReader(bytes.NewReader(in)), peerInfo{greeting: greeting{major: 3, minor: 1}}, "fuzz")
			err = p.readLoop()
			if err == nil {
				t.Fatal("readLoop returned nil at end of input")
			}
			// Every delivered batch must decode into well-formed messages.
			for b := s.inbox.pop(); b != nil; b = s.inbox.pop() {
				n := 0
				for off := 0; off < len(b.buf); n++ {
					end, cmd := nextMsgEnd(b.buf, off)
					if end < 0 || cmd {
						t.Fatalf("bad batch at %d", off)
					}
					_ = decodeFresh(b.buf[off:end])
					off = end
				}
				if n != b.msgs {
					t.Fatalf("batch says %d msgs, holds %d", b.msgs, n)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
