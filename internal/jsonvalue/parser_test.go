package jsonvalue

import (
	"strings"
	"testing"

	"github.com/logbus/logbus"
)

// TestParserKeepsNothing: a Parser reused for a small document no
// longer references the values of a large one before it (a subscriber's
// decoder lives long; a review found 50 MiB kept alive).
func TestParserKeepsNothing(t *testing.T) {
	var q Parser
	var b strings.Builder
	b.WriteString("{")
	for i := range 50 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"k` + strings.Repeat("x", i) + `":"` + strings.Repeat("v", 1000) + `"`)
	}
	b.WriteString("}")
	if _, _, err := q.Object([]byte(b.String()), nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := q.Object([]byte(`{"a":1}`), nil); err != nil {
		t.Fatal(err)
	}
	for i, a := range q.p.scratch[1:cap(q.p.scratch)] {
		if a.Key != "" || !a.Value.Equal(logbus.Value{}) {
			t.Fatalf("scratch slot %d still holds %q", i+1, a.Key)
		}
	}
}
