package codec

import (
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
