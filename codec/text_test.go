package codec

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestAppendRecordText(t *testing.T) {
	r := Record{
		Envelope: Envelope{Time: time.Date(2026, 11, 22, 10, 36, 11, 426999999, time.UTC), Host: "lab-7", Equipment: "scope-3",
			Run: Run{Project: "p", Kind: "cal", ID: "r-1"}},
		Level: LevelError, Logger: "stage", Message: "moved\nsecond line",
		Error: "Traceback (most recent call last):\n  File \"x.py\"\nZeroDivisionError\n",
		Attrs: []Attr{{"x", IntValue(3)}, {"note", StringValue("two words")}, {"g", GroupValue(Attr{"a", BoolValue(true)})}, {"empty", StringValue("")}},
	}
	got := string(AppendRecordText(nil, &r))
	want := "2026-11-22T10:36:11.426Z ERROR [host:lab-7] [equip:scope-3] [run:p/cal/r-1] stage: moved\n" +
		"    second line x=3 note=\"two words\" g.a=true empty=\"\"\n" +
		"    Traceback (most recent call last):\n" +
		"      File \"x.py\"\n" +
		"    ZeroDivisionError\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestTextLinesCannotBeForged: whatever a sender puts in a record, every
// line after the first of its text form is indented.
func TestTextLinesCannotBeForged(t *testing.T) {
	evil := "x\r\n2026-01-01T00:00:00.000Z CRITICAL forged\u2028also\x00\x1b[31m\xff"
	r := Record{Envelope: Envelope{Host: evil, Equipment: evil}, Message: evil, Logger: evil, Error: evil,
		Attrs: []Attr{{evil, StringValue(evil)}}}
	out := string(AppendRecordText(nil, &r))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, TextIndent) {
			t.Errorf("continuation line not indented: %q", l)
		}
	}
	if strings.ContainsAny(out, "\r\x00\x1b") {
		t.Errorf("control characters written raw: %q", out)
	}
}

func TestPlainPrefix(t *testing.T) {
	slow := func(s string) int {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] > 0x7e {
				return i
			}
		}
		return len(s)
	}
	// Every byte value at every position of strings up to 20 bytes long,
	// against a plain loop: the word tests must neither miss a byte nor
	// stop early.
	base := []byte("abcdefghijklmnopqrst")
	for n := 0; n <= len(base); n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := append([]byte(nil), base[:n]...)
				b[pos] = byte(c)
				if got, want := plainPrefix(string(b)), slow(string(b)); got != want {
					t.Fatalf("plainPrefix(%q) = %d, want %d", b, got, want)
				}
			}
		}
	}
}

func TestAppendUTCMillis(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 22, 10, 36, 11, 426123456, time.FixedZone("x", -5*3600)),
	}
	for range 10000 {
		times = append(times, time.Unix(rng.Int64N(400e9)-200e9, rng.Int64N(1e9)))
	}
	for _, tm := range times {
		if got, want := string(appendUTCMillis(nil, tm)), tm.UTC().Format("2006-01-02T15:04:05.000Z"); got != want {
			t.Fatalf("%v: got %s, want %s", tm, got, want)
		}
	}
}

func TestTextGroupKeys(t *testing.T) {
	r := Record{Message: "m", Attrs: []Attr{
		{"g", GroupValue(Attr{"h", GroupValue(Attr{"k", IntValue(1)})}, Attr{"x", StringValue("y")})},
		{"a b", GroupValue(Attr{"c", IntValue(2)})},
		{"d", GroupValue(Attr{"e=f", IntValue(3)})},
		{"top", IntValue(4)},
		{"e", GroupValue(Attr{"", IntValue(5)})},
		{"", GroupValue(Attr{"inl", IntValue(6)}, Attr{"", IntValue(7)})},
	}}
	got := string(AppendRecordText(nil, &r))
	want := `- INFO m g.h.k=1 g.x=y "a b.c"=2 "d.e=f"=3 top=4 e.=5 inl=6 ""=7` + "\n"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
