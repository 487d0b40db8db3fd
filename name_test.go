package logbus

import (
	"errors"
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	for _, ok := range []string{"scope-3", "a", "lab_7.site-A", strings.Repeat("x", MaxNameLen), "..."} {
		if !ValidName(ok) || CheckName(ok) != nil {
			t.Errorf("%q refused: %v", ok, CheckName(ok))
		}
	}
	for bad, why := range map[string]string{
		"": "length 0", strings.Repeat("x", MaxNameLen+1): "length 129", ".": `"."`, "..": `".."`,
		"a/b": `byte '/'`, "a b": `byte ' '`, "sc\x00pe": `byte '\x00'`, "é": `byte 'Ã'`,
	} {
		err := CheckName(bad)
		if ValidName(bad) || !errors.Is(err, ErrName) || !strings.HasSuffix(err.Error(), why) {
			t.Errorf("%q: valid %v, error %v (want one ending %s)", bad, ValidName(bad), err, why)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = ValidName("scope-3") }); n != 0 {
		t.Errorf("ValidName allocates %v times", n)
	}
}
