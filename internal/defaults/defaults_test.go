package defaults

import (
	"testing"
	"time"
)

func TestFill(t *testing.T) {
	s, n, neg, d, set := "", 0, -3, time.Duration(0), "x"
	Fill(&s, "def")
	Fill(&n, 7)
	Fill(&neg, 7)
	Fill(&d, time.Second)
	Fill(&set, "def")
	if s != "def" || n != 7 || neg != 7 || d != time.Second || set != "x" {
		t.Errorf("got %q %d %d %v %q", s, n, neg, d, set)
	}
}
