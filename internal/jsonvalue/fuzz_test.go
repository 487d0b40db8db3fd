package jsonvalue

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/logbus/logbus"
)

// FuzzAgainstEncodingJSON is the differential test: on every input both
// Parse and encoding/json accept, they read the same document (object
// members compared by key, as encoding/json keeps the last of duplicate
// keys; numbers by value). Inputs with logbus's tags ("$…" keys) or
// Python's bare NaN/Infinity are Parse's own dialect and are skipped.
func FuzzAgainstEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":[true,false,null],"c":{"d":"e"}}`,
		`{"n":-9223372036854775808,"u":18446744073709551615,"big":123456789012345678901234567890,"f":1.5e-3}`,
		`{"s":"caf\u00e9 \ud83d\ude00 \ud800 lone","esc":"\"\\\/\b\f\n\r\t"}`,
		`[1,2,{"x":[]}]`, `"text"`, `3`, `{"k":"` + strings.Repeat("x", 100) + `"}`,
		"{\"raw\":\"\xff\xfe invalid\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if bytes.Contains(b, []byte("$")) || bytes.Contains(b, []byte("NaN")) || bytes.Contains(b, []byte("Infinity")) {
			return
		}
		var want any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if d.Decode(&want) != nil || len(bytes.TrimLeft(b[d.InputOffset():], " \t\r\n")) > 0 {
			return // not JSON to encoding/json, or more than one document
		}
		got, err := Parse(b, nil)
		if err != nil {
			var e *Error
			if asErr(err, &e) && e.TooDeep {
				return // encoding/json nests deeper than logbus.MaxDepth
			}
			t.Fatalf("Parse refused what encoding/json reads: %v\n%q", err, b)
		}
		if msg := same(got, want); msg != "" {
			t.Fatalf("%s\ninput %q", msg, b)
		}
	})
}

func asErr(err error, e **Error) bool {
	v, ok := err.(*Error)
	*e = v
	return ok
}

// same compares a Value with what encoding/json decoded.
func same(v logbus.Value, w any) string {
	switch w := w.(type) {
	case nil:
		if v.Kind() != logbus.KindNull {
			return "want null, got " + v.Kind().String()
		}
	case bool:
		if v.Kind() != logbus.KindBool || v.Bool() != w {
			return "bool differs"
		}
	case string:
		if v.Kind() != logbus.KindString || v.Str() != w {
			return "string " + strquote(v.Str()) + " vs " + strquote(w)
		}
	case json.Number:
		return sameNumber(v, string(w))
	case []any:
		if v.Kind() != logbus.KindList || len(v.List()) != len(w) {
			return "list differs"
		}
		for i, x := range v.List() {
			if m := same(x, w[i]); m != "" {
				return m
			}
		}
	case map[string]any:
		if v.Kind() != logbus.KindGroup {
			return "want object, got " + v.Kind().String()
		}
		last := map[string]logbus.Value{}
		for _, a := range v.Group() {
			last[a.Key] = a.Value
		}
		if len(last) != len(w) {
			return "object keys differ"
		}
		for k, x := range w {
			gv, ok := last[k]
			if !ok {
				return "missing key " + strquote(k)
			}
			if m := same(gv, x); m != "" {
				return m
			}
		}
	}
	return ""
}

func sameNumber(v logbus.Value, text string) string {
	if strings.ContainsAny(text, ".eE") {
		f, _, err := big.ParseFloat(text, 10, 2000, big.ToNearestEven)
		if err != nil {
			return "bad float " + text
		}
		want, _ := f.Float64()
		if v.Kind() != logbus.KindFloat || (v.Float64() != want && !(math.IsInf(want, 0) && math.IsInf(v.Float64(), 0))) {
			return "float " + text + " read as " + v.String()
		}
		return ""
	}
	want, _ := new(big.Int).SetString(text, 10)
	if v.String() != want.String() {
		return "integer " + text + " read as " + v.String()
	}
	return ""
}

func strquote(s string) string { b, _ := json.Marshal(s); return string(b) }
