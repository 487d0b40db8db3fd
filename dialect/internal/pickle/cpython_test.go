package pickle

import (
	"fmt"
	"math"
	"math/big"
	"testing"
	"time"
)

// TestCPythonPickles decodes values pickled by CPython in every protocol
// (see testdata/gen_pickles.py) and checks each against the Go value the
// package documents for it.
func TestCPythonPickles(t *testing.T) {
	big70, _ := new(big.Int).SetString("1180591620717411303424", 10)
	neg70 := new(big.Int).Neg(big70)
	tz530 := time.FixedZone("UTC+05:30", 5*3600+30*60)
	builtins := func(proto int) string {
		if proto < 3 {
			return "__builtin__"
		}
		return "builtins"
	}
	want := map[string]func(proto int) any{
		"scalars": func(int) any {
			return dict(
				"s", "h\u00e9llo \U0001F600", "empty", "", "b", []byte{0, 0xff}, "ba", []byte("ab"),
				"i", int64(-5), "i32", int64(math.MinInt32), "big", big70, "neg", neg70,
				"min64", int64(math.MinInt64), "f", 1.5, "nan", math.NaN(), "inf", math.Inf(-1),
				"t", Tuple{int64(1), "a"}, "t0", Tuple{}, "l", []any{nil, true, false},
				"set", Set{int64(3)}, "fs", Set{int64(4)}, "od", dict("a", int64(1)),
				int64(1), "int key", Tuple{int64(1), int64(2)}, "tuple key",
			)
		},
		"times": func(int) any {
			return dict(
				"aware", time.Date(2024, 1, 2, 3, 4, 5, 6789000, tz530),
				"utc", time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC),
				"named", time.Date(2024, 6, 1, 0, 0, 0, 0, time.FixedZone("X", -2*3600)),
				"naive", time.Date(2024, 1, 2, 3, 4, 5, 0, Naive),
				"date", time.Date(2024, 2, 29, 0, 0, 0, 0, Naive),
				"td", -24*time.Hour+5*time.Second+7*time.Microsecond,
				"tz", tz530,
			)
		},
		"surrogates": func(int) any {
			return dict("lone", "\uFFFD", "pair", "\U0001F600", "mixed", "a\uFFFDb", "nl", "a\nb\\u0041")
		},
		"object": func(proto int) any {
			o := Object{Class: Global{"__main__", "Foo"}, State: dict("x", int64(1))}
			if proto >= 2 {
				o.Args = Tuple{} // NEWOBJ; protocols 0-1 use copyreg._reconstructor
			}
			return o
		},
		"defaultdict": func(proto int) any {
			return Object{
				Class:     Global{"collections", "defaultdict"},
				Args:      Tuple{Global{builtins(proto), "list"}},
				DictItems: dict("a", []any{int64(1)}),
			}
		},
	}
	for name, pickles := range cpythonPickles {
		mk, ok := want[name]
		if !ok {
			t.Fatalf("no expectation for %q", name)
		}
		for proto, p := range pickles {
			t.Run(fmt.Sprintf("%s/proto%d", name, proto), func(t *testing.T) {
				got, err := Decode([]byte(p))
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if s := diff(name, got, mk(proto)); s != "" {
					t.Error(s)
				}
			})
		}
	}
}
