package textline

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/testsupport"
)

func TestAppendRecord(t *testing.T) {
	r := logbus.Record{
		Envelope: logbus.Envelope{Time: time.Date(2026, 11, 22, 10, 36, 11, 426999999, time.UTC), Host: "lab-7", Equipment: "scope-3",
			Run: logbus.Run{Project: "p", Kind: "cal", ID: "r-1"}},
		Level: logbus.LevelError, Logger: "stage", Message: "moved\nsecond line",
		Error: "Traceback (most recent call last):\n  File \"x.py\"\nZeroDivisionError\n",
		Attrs: []logbus.Attr{{Key: "x", Value: logbus.IntValue(3)}, {Key: "note", Value: logbus.StringValue("two words")}, {Key: "g", Value: logbus.GroupValue(logbus.Attr{Key: "a", Value: logbus.BoolValue(true)})}, {Key: "empty", Value: logbus.StringValue("")}},
	}
	got := string(AppendRecord(nil, &r))
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
	r := logbus.Record{Envelope: logbus.Envelope{Host: evil, Equipment: evil}, Message: evil, Logger: evil, Error: evil,
		Attrs: []logbus.Attr{{Key: evil, Value: logbus.StringValue(evil)}}}
	out := string(AppendRecord(nil, &r))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, Indent) {
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
	r := logbus.Record{Message: "m", Attrs: []logbus.Attr{
		{Key: "g", Value: logbus.GroupValue(logbus.Attr{Key: "h", Value: logbus.GroupValue(logbus.Attr{Key: "k", Value: logbus.IntValue(1)})}, logbus.Attr{Key: "x", Value: logbus.StringValue("y")})},
		{Key: "a b", Value: logbus.GroupValue(logbus.Attr{Key: "c", Value: logbus.IntValue(2)})},
		{Key: "d", Value: logbus.GroupValue(logbus.Attr{Key: "e=f", Value: logbus.IntValue(3)})},
		{Key: "top", Value: logbus.IntValue(4)},
		{Key: "e", Value: logbus.GroupValue(logbus.Attr{Key: "", Value: logbus.IntValue(5)})},
		{Key: "", Value: logbus.GroupValue(logbus.Attr{Key: "inl", Value: logbus.IntValue(6)}, logbus.Attr{Key: "", Value: logbus.IntValue(7)})},
	}}
	got := string(AppendRecord(nil, &r))
	want := `- INFO m g.h.k=1 g.x=y "a b.c"=2 "d.e=f"=3 top=4 e.=5 inl=6 ""=7` + "\n"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func BenchmarkText(b *testing.B) {
	r := testsupport.TypicalRecord()
	buf := AppendRecord(nil, &r)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = AppendRecord(buf[:0], &r)
	}
}

// TestAppendRecordAllocs pins README's figure: the text line of the
// typical record allocates once (the duration attribute's String).
func TestAppendRecordAllocs(t *testing.T) {
	r := testsupport.TypicalRecord()
	buf := AppendRecord(nil, &r)
	if n := testing.AllocsPerRun(200, func() { buf = AppendRecord(buf[:0], &r) }); n > 1 {
		t.Errorf("AppendRecord allocates %v times, want at most 1", n)
	}
}
