package origin

import (
	"bytes"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	in := Origin{Broker: 0xfeedface, Seq: 42, Arrival: 1_700_000_000_123_456_789, Peer: []byte("10.0.0.7:51234"), User: []byte("lab7")}
	f := Append(nil, &in)
	var out Origin
	if !Parse(f, &out) || out.Broker != in.Broker || out.Seq != in.Seq || out.Arrival != in.Arrival ||
		!bytes.Equal(out.Peer, in.Peer) || !bytes.Equal(out.User, in.User) {
		t.Fatalf("%+v -> %q -> %+v", in, f, out)
	}
	if len(f) > MaxSize {
		t.Errorf("%d bytes, MaxSize %d", len(f), MaxSize)
	}
}

func TestLongStringsCut(t *testing.T) {
	in := Origin{Peer: []byte(strings.Repeat("p", 300)), User: []byte(strings.Repeat("u", 300))}
	var out Origin
	if f := Append(nil, &in); !Parse(f, &out) || len(out.Peer) != 255 || len(out.User) != 255 || len(f) != MaxSize {
		t.Fatalf("%d %d %d", len(out.Peer), len(out.User), len(f))
	}
}

// TestSplit: the origin frame is taken off the end of a message that has
// one; payloads (JSON, msgpack, pickle) are never mistaken for one.
func TestSplit(t *testing.T) {
	f := Append(nil, &Origin{Seq: 7})
	var o Origin
	msg, ok := Split([][]byte{[]byte("PLJ"), []byte(`{"msg":"x"}`), f}, &o)
	if !ok || len(msg) != 2 || o.Seq != 7 {
		t.Fatalf("%q %v %+v", msg, ok, o)
	}
	for _, payload := range [][]byte{[]byte(`{"a":1}`), {0x81, 0xa1, 'm'}, {0x80, 0x04}, []byte("\x00LB"), f[:len(f)-1]} {
		if msg, ok := Split([][]byte{[]byte("PLJ"), []byte(`{}`), payload}, &o); ok || len(msg) != 3 {
			t.Errorf("%q taken for an origin frame", payload)
		}
	}
	if _, ok := Split([][]byte{f}, &o); ok {
		t.Error("a one-frame message has no origin")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Append(nil, &Origin{Peer: []byte("1.2.3.4:5"), User: []byte("u")}))
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		var o Origin
		if Parse(b, &o) {
			if again := Append(nil, &o); !bytes.Equal(again, b) {
				t.Fatalf("%q parsed, re-encodes as %q", b, again)
			}
		}
	})
}
