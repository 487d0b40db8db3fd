package broker

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/logbus/logbus/zmtp"
)

// TestPreviewBounded: a preview escapes every frame, cuts them at the
// bound without splitting a character, and says what it left out.
func TestPreviewBounded(t *testing.T) {
	for _, c := range []struct {
		name  string
		m     zmtp.Msg
		limit int
		want  string
	}{
		{"escaped", zmtp.Msg{[]byte("INFO"), []byte("a\nb\x1b\xff\"")}, 64, `["INFO" "a\nb\x1b\xff\""]`},
		{"cut", zmtp.Msg{[]byte("0123456789")}, 4, `["0123"…+6]`},
		{"cut before a character", zmtp.Msg{[]byte("ab€")}, 3, `["ab"…+3]`},
		{"frames beyond the bound", zmtp.Msg{[]byte("abcd"), []byte("x"), []byte("y")}, 4, `["abcd" …+2 frames]`},
		{"empty frame", zmtp.Msg{[]byte("PLJ"), {}}, 64, `["PLJ" ""]`},
	} {
		if got := string(appendPreview(nil, c.m, c.limit)); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	big := zmtp.Msg{[]byte(strings.Repeat("é", 10_000)), []byte(strings.Repeat("\x00", 10_000))}
	got := appendPreview(nil, big, copyPreview)
	if !utf8.Valid(got) || len(got) > copyPreview+64 || strings.ContainsAny(string(got), "\x00\n") {
		t.Errorf("preview of %d bytes, valid %v", len(got), utf8.Valid(got))
	}
}
