package zmtp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestGreetingRoundTrip(t *testing.T) {
	for _, g := range []greeting{
		{major: 3, minor: 1, mechanism: "NULL"},
		{major: 3, minor: 0, mechanism: "PLAIN", asServer: true},
		{major: 3, minor: 7, mechanism: "CURVE"},
	} {
		b := appendGreeting(nil, g)
		if len(b) != greetingSize {
			t.Fatalf("greeting is %d bytes", len(b))
		}
		got, err := parseGreeting(b)
		if err != nil {
			t.Fatal(err)
		}
		if got != g {
			t.Fatalf("got %+v want %+v", got, g)
		}
	}
}

func TestGreetingErrors(t *testing.T) {
	good := appendGreeting(nil, greeting{major: 3, minor: 1, mechanism: "NULL"})
	mod := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"short", good[:63], ErrGreeting},
		{"http", append([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), make([]byte, 40)...), ErrGreeting},
		{"signature end", mod(func(b []byte) { b[9] = 0 }), ErrGreeting},
		{"version 2", mod(func(b []byte) { b[10] = 2 }), ErrVersion},
		{"empty mechanism", mod(func(b []byte) { copy(b[12:], "\x00\x00\x00\x00") }), ErrGreeting},
		{"lowercase mechanism", mod(func(b []byte) { copy(b[12:], "null") }), ErrGreeting},
		{"garbage after NUL", mod(func(b []byte) { b[20] = 'X' }), ErrGreeting},
		{"as-server 2", mod(func(b []byte) { b[32] = 2 }), ErrGreeting},
	}
	for _, c := range cases {
		if _, err := parseGreeting(c.b); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestFrameHeader(t *testing.T) {
	for _, n := range []int{0, 1, 255, 256, 70000} {
		for _, flags := range []byte{0, flagMore, flagCommand} {
			b := appendFrameHeader(nil, flags, n)
			if len(b) != frameHeaderSize(n) {
				t.Fatalf("size %d: header %d bytes", n, len(b))
			}
			h, hn, err := parseFrameHeader(b, 1<<20)
			if err != nil || hn != len(b) || h.size != uint64(n) || h.flags&^flagLong != flags {
				t.Fatalf("size %d flags %x: got %+v %d %v", n, flags, h, hn, err)
			}
		}
	}
}

func TestFrameHeaderHostile(t *testing.T) {
	long := func(n uint64) []byte {
		b := []byte{flagLong, 0, 0, 0, 0, 0, 0, 0, 0}
		binary.BigEndian.PutUint64(b[1:], n)
		return b
	}
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"2^62", long(1 << 62), ErrTooLarge},
		{"1 TiB", long(1 << 40), ErrTooLarge},
		{"2^64-1", long(^uint64(0)), ErrTooLarge},
		{"over limit by one", long(1<<20 + 1), ErrTooLarge},
		{"reserved bits", []byte{0x80, 1}, ErrProtocol},
		{"command with more", []byte{flagCommand | flagMore, 1}, ErrProtocol},
	}
	for _, c := range cases {
		if _, _, err := parseFrameHeader(c.b, 1<<20); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v want %v", c.name, err, c.want)
		}
	}
	if _, n, err := parseFrameHeader([]byte{flagLong, 0, 0}, 100); n != 0 || err != nil {
		t.Errorf("truncated long header: n=%d err=%v", n, err)
	}
}

func TestMsgEncodingWalk(t *testing.T) {
	big := bytes.Repeat([]byte{7}, 300)
	var b []byte
	b = appendMsg(b, Msg{[]byte("a"), big})
	b = appendCommand(b, cmdPING, []byte{0, 0})
	b = appendMsg(b, Msg{[]byte("single")})
	end1, cmd1 := nextMsgEnd(b, 0)
	end2, cmd2 := nextMsgEnd(b, end1)
	end3, cmd3 := nextMsgEnd(b, end2)
	if cmd1 || !cmd2 || cmd3 || end3 != len(b) {
		t.Fatalf("walk: %d %v %d %v %d %v (len %d)", end1, cmd1, end2, cmd2, end3, cmd3, len(b))
	}
	if got := countData(b); got != 2 {
		t.Fatalf("countData %d", got)
	}
	m := decodeFresh(b[:end1])
	if len(m) != 2 || string(m[0]) != "a" || !bytes.Equal(m[1], big) {
		t.Fatalf("decode %q", m)
	}
	// A write that stopped inside the second message leaves it, whole,
	// and everything after it.
	tail := unsentTail(b, end1+3)
	if !bytes.Equal(tail, b[end1:]) {
		t.Fatalf("unsent tail %d bytes, want %d", len(tail), len(b)-end1)
	}
	data, n := dataMessages(b, false, true)
	if n != 2 || len(data) != len(b)-(end2-end1) {
		t.Fatalf("dataMessages %d msgs %d bytes", n, len(data))
	}
}

func TestDecodeIntoReuses(t *testing.T) {
	enc := appendMsg(nil, Msg{[]byte("top"), []byte("payload")})
	var m Msg
	m = decodeInto(m, enc)
	p0 := &m[1][0]
	m = decodeInto(m, appendMsg(nil, Msg{[]byte("xy"), []byte("zzz")}))
	if &m[1][0] != p0 || string(m[0]) != "xy" || string(m[1]) != "zzz" {
		t.Fatalf("not reused or wrong: %q", m)
	}
}

func TestCommandParsing(t *testing.T) {
	meta := appendMetadata(nil, property{"Socket-Type", []byte("PUSH")}, property{"Identity", []byte("id-1")})
	frame := appendCommand(nil, cmdREADY, meta)
	h, n, err := parseFrameHeader(frame, maxCommandSize)
	if err != nil || !h.command() {
		t.Fatal(err)
	}
	c, err := parseCommand(frame[n:])
	if err != nil || c.name != cmdREADY {
		t.Fatalf("%+v %v", c, err)
	}
	props, err := parseMetadata(c.data)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := lookupProperty(props, "socket-type"); !ok || string(v) != "PUSH" {
		t.Fatalf("Socket-Type %q %v", v, ok)
	}
	if v, _ := lookupProperty(props, "IDENTITY"); string(v) != "id-1" {
		t.Fatalf("Identity %q", v)
	}
	for _, bad := range [][]byte{
		{}, {0}, {9, 'A'}, {3, 'A', 0x01, 'B'},
	} {
		if _, err := parseCommand(bad); !errors.Is(err, ErrProtocol) {
			t.Errorf("command % x: %v", bad, err)
		}
	}
	for _, bad := range [][]byte{
		{0}, {5, 'a'}, {1, 'a', 0, 0}, {1, 'a', 0xFF, 0xFF, 0xFF, 0xFF, 1},
	} {
		if _, err := parseMetadata(bad); !errors.Is(err, ErrProtocol) {
			t.Errorf("metadata % x: %v", bad, err)
		}
	}
	if _, _, err := parsePing(append([]byte{0, 1}, make([]byte, 17)...)); !errors.Is(err, ErrProtocol) {
		t.Errorf("long PING context accepted")
	}
	if u, p, err := parseHello([]byte{2, 'a', 'b', 1, 'c'}); err != nil || u != "ab" || p != "c" {
		t.Errorf("hello %q %q %v", u, p, err)
	}
	if c, err := parseCommand([]byte("^RROR\x03400")); err != nil || c.name != cmdERROR || parseError(c.data) != "400" {
		t.Errorf("libzmq refusal: %+v %v", c, err)
	}
}

func TestEndpoints(t *testing.T) {
	good := map[string]string{
		"tcp://127.0.0.1:5555": "127.0.0.1:5555",
		"tcp://*:0":            ":0",
		"tcp://[::1]:7":        "[::1]:7",
		"tcp://*:*":            ":0",
	}
	for in, want := range good {
		e, err := parseEndpoint(in, true)
		if err != nil || e.addr != want {
			t.Errorf("%s: %+v %v", in, e, err)
		}
	}
	for _, bad := range []string{"127.0.0.1:5", "udp://x:1", "tcp://", "tcp://nohost", "tcp://:5"} {
		if _, err := parseEndpoint(bad, false); !errors.Is(err, ErrEndpoint) {
			t.Errorf("%s accepted for connect", bad)
		}
	}
	if _, err := parseEndpoint("tcp://*:5", false); !errors.Is(err, ErrEndpoint) {
		t.Errorf("connect to * accepted")
	}
}

func TestSubSet(t *testing.T) {
	var s *subSet
	if s.match([]byte("x")) {
		t.Fatal("nil set matched")
	}
	s, ch := s.with([]byte("ab"), true)
	if !ch || !s.match([]byte("abc")) || s.match([]byte("a")) {
		t.Fatal("prefix match")
	}
	s, ch = s.with([]byte("ab"), true)
	if ch {
		t.Fatal("second subscribe changed the set")
	}
	s, ch = s.with([]byte("ab"), false)
	if ch || !s.match([]byte("ab")) {
		t.Fatal("refcount")
	}
	s, ch = s.with([]byte("ab"), false)
	if !ch || s.match([]byte("ab")) {
		t.Fatal("cancel")
	}
	s, _ = s.with(nil, true)
	if !s.match([]byte("anything")) || !s.match(nil) {
		t.Fatal("empty prefix matches all")
	}
}
