package origin

import (
	"bytes"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, numbered := range []bool{false, true} {
		in := Origin{Link: 0xfeedface, Seq: 42, Unnumbered: 17, Arrival: 1_700_000_000_123_456_789, Numbered: numbered,
			Peer: []byte("10.0.0.7:51234"), User: []byte("lab7")}
		f := Append(nil, &in)
		var out Origin
		if !Parse(f, &out) || out.Link != in.Link || out.Seq != in.Seq || out.Unnumbered != in.Unnumbered ||
			out.Arrival != in.Arrival || out.Numbered != numbered ||
			!bytes.Equal(out.Peer, in.Peer) || !bytes.Equal(out.User, in.User) {
			t.Fatalf("%+v -> %q -> %+v", in, f, out)
		}
		if len(f) > MaxSize {
			t.Errorf("%d bytes, MaxSize %d", len(f), MaxSize)
		}
	}
}

func TestLongStringsCut(t *testing.T) {
	in := Origin{Peer: []byte(strings.Repeat("p", 300)), User: []byte(strings.Repeat("u", 300))}
	var out Origin
	if f := Append(nil, &in); !Parse(f, &out) || len(out.Peer) != 255 || len(out.User) != 255 || len(f) != MaxSize {
		t.Fatalf("%d %d %d", len(out.Peer), len(out.User), len(f))
	}
}

func TestRejects(t *testing.T) {
	f := Append(nil, &Origin{Seq: 1})
	var o Origin
	for name, b := range map[string][]byte{
		"version 1":     append(append([]byte(Magic), 1), f[len(Magic)+1:]...),
		"unknown flags": func() []byte { c := bytes.Clone(f); c[len(Magic)+1+32] = 2; return c }(),
		"cut short":     f[:len(f)-1],
		"trailing byte": append(bytes.Clone(f), 0),
	} {
		if Parse(b, &o) {
			t.Errorf("%s: parsed", name)
		}
	}
}

// TestSplit: the origin chain is taken off the end of a message, oldest
// hop first; payloads (JSON, msgpack, pickle) are never mistaken for an
// origin frame.
func TestSplit(t *testing.T) {
	site := Append(nil, &Origin{Link: 1, Seq: 7})
	central := Append(nil, &Origin{Link: 2, Seq: 9})
	msg, chain := Split([][]byte{[]byte("PLJ"), []byte(`{"msg":"x"}`), site, central}, nil)
	if len(msg) != 2 || len(chain) != 2 || chain[0].Link != 1 || chain[0].Seq != 7 || chain[1].Link != 2 {
		t.Fatalf("%q %+v", msg, chain)
	}
	for _, payload := range [][]byte{[]byte(`{"a":1}`), {0x81, 0xa1, 'm'}, {0x80, 0x04}, []byte("\x00LB"), site[:len(site)-1]} {
		if msg, chain := Split([][]byte{[]byte("PLJ"), []byte(`{}`), payload}, nil); len(chain) != 0 || len(msg) != 3 {
			t.Errorf("%q taken for an origin frame", payload)
		}
	}
	if msg, chain := Split([][]byte{[]byte("PLJ"), site}, nil); len(chain) != 0 || len(msg) != 2 {
		t.Error("the only payload was taken for an origin")
	}
	long := [][]byte{[]byte("PLJ"), []byte(`{}`)}
	for range MaxHops + 2 {
		long = append(long, site)
	}
	if msg, chain := Split(long, nil); len(chain) != MaxHops || len(msg) != 4 {
		t.Errorf("%d hops taken, %d frames left", len(chain), len(msg))
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Append(nil, &Origin{Peer: []byte("1.2.3.4:5"), User: []byte("u"), Numbered: true}))
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
