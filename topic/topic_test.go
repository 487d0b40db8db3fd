package topic

import (
	"errors"
	"strings"
	"testing"

	"github.com/logbus/logbus"
)

func TestParseBareAndSuffixed(t *testing.T) {
	for _, in := range []string{"PLJ", "TLP", "SPM", "PLM/scope-3/", "TLJ/a/", "PPM/" + strings.Repeat("x", 128) + "/"} {
		tp, err := Parse([]byte(in))
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if got := tp.String(); got != in {
			t.Fatalf("round trip %q -> %q", in, got)
		}
		if err := tp.Validate(); err != nil {
			t.Fatalf("Validate(%q): %v", in, err)
		}
	}
}

func TestParseRejects(t *testing.T) {
	cases := []struct {
		in   string
		want error
	}{
		{"", ErrLength},
		{"PL", ErrLength},
		{"XLJ", ErrSystem},
		{"PXJ", ErrKind},
		{"PLX", ErrEncoding},
		{"plj", ErrSystem},
		{"PLJ/", ErrEquipment},
		{"PLJ//", ErrEquipment},
		{"PLJx", ErrEquipment},
		{"PLJ/scope-3", ErrEquipment},
		{"PLJ/../", ErrEquipment},
		{"PLJ/./", ErrEquipment},
		{"PLJ/a/b/", ErrEquipment},
		{"PLJ/a b/", ErrEquipment},
		{"PLJ/a\x00/", ErrEquipment},
		{"PLJ/é/", ErrEquipment},
		{"PLJ/" + strings.Repeat("x", 129) + "/", ErrLength},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.in))
		if !errors.Is(err, c.want) {
			t.Errorf("Parse(%q) = %v, want %v", c.in, err, c.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "topic: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
}

func TestEquipmentSuffixDoesNotMatchLongerID(t *testing.T) {
	f := Filter{Systems: []logbus.System{logbus.Production}, Kinds: []Kind{Log}, Encodings: []Encoding{Msgpack}, Equipments: []string{"scope-3"}}
	ps, err := f.Prefixes()
	if err != nil {
		t.Fatal(err)
	}
	mine := Topic{logbus.Production, Log, Msgpack, "scope-3"}.String()
	other := Topic{logbus.Production, Log, Msgpack, "scope-30"}.String()
	if !matchesAny(ps, mine) {
		t.Fatalf("prefixes %q miss %q", ps, mine)
	}
	if matchesAny(ps, other) {
		t.Fatalf("prefixes %q wrongly match %q", ps, other)
	}
}

func matchesAny(prefixes [][]byte, topic string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(topic, string(p)) {
			return true
		}
	}
	return false
}

func TestPrefixesMinimal(t *testing.T) {
	cases := []struct {
		name string
		f    Filter
		want []string
	}{
		{"everything", Filter{}, []string{""}},
		{"all systems named", Filter{Systems: []logbus.System{logbus.Test, logbus.Staging, logbus.Production}}, []string{""}},
		{"all production", Filter{Systems: []logbus.System{logbus.Production}}, []string{"P"}},
		{"logs of any system", Filter{Kinds: []Kind{Log}}, []string{"TL", "SL", "PL"}},
		{"production msgpack", Filter{Systems: []logbus.System{logbus.Production}, Encodings: []Encoding{Msgpack}}, []string{"PLM", "PPM"}},
		{"dup values", Filter{Systems: []logbus.System{logbus.Test, logbus.Test}, Kinds: []Kind{Sample}}, []string{"TP"}},
		{"equipment anywhere", Filter{Systems: []logbus.System{logbus.Staging}, Kinds: []Kind{Log}, Encodings: []Encoding{JSON}, Equipments: []string{"a", "b"}},
			[]string{"SLJ/a/", "SLJ/b/"}},
	}
	for _, c := range cases {
		ps, err := c.f.Prefixes()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, string(p))
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: got %q want %q", c.name, got, c.want)
		}
	}
}

// TestPrefixesAgreeWithMatch checks, over every topic the filter space can
// produce, that subscribing to Prefixes delivers exactly what Match accepts.
func TestPrefixesAgreeWithMatch(t *testing.T) {
	eqs := []string{"", "scope-3", "scope-30"}
	var topics []Topic
	for _, s := range logbus.Systems {
		for _, k := range Kinds {
			for _, e := range Encodings {
				for _, q := range eqs {
					topics = append(topics, Topic{s, k, e, q})
				}
			}
		}
	}
	subsets := func(n int) [][]int {
		var out [][]int
		for m := 0; m < 1<<n; m++ {
			var s []int
			for i := 0; i < n; i++ {
				if m&(1<<i) != 0 {
					s = append(s, i)
				}
			}
			out = append(out, s)
		}
		return out
	}
	for _, ss := range subsets(3) {
		for _, ks := range subsets(2) {
			for _, es := range subsets(3) {
				for _, qs := range [][]string{nil, {"scope-3"}, {"scope-3", "scope-30"}} {
					var f Filter
					for _, i := range ss {
						f.Systems = append(f.Systems, logbus.Systems[i])
					}
					for _, i := range ks {
						f.Kinds = append(f.Kinds, Kinds[i])
					}
					for _, i := range es {
						f.Encodings = append(f.Encodings, Encodings[i])
					}
					f.Equipments = qs
					ps, err := f.Prefixes()
					if err != nil {
						t.Fatal(err)
					}
					for _, tp := range topics {
						if got, want := matchesAny(ps, tp.String()), f.Match(tp); got != want {
							t.Fatalf("filter %+v topic %q: prefixes %q say %v, Match says %v", f, tp, ps, got, want)
						}
					}
				}
			}
		}
	}
}

func TestPrefixesRejectInvalid(t *testing.T) {
	for _, f := range []Filter{
		{Systems: []logbus.System{'X'}},
		{Kinds: []Kind{'Q'}},
		{Encodings: []Encoding{'Z'}},
		{Equipments: []string{"../etc"}},
	} {
		if _, err := f.Prefixes(); err == nil {
			t.Errorf("Prefixes(%+v) accepted an invalid filter", f)
		}
	}
}

func TestAppendToNoAlloc(t *testing.T) {
	tp := Topic{logbus.Production, Log, Msgpack, "scope-3"}
	buf := make([]byte, 0, MaxLen)
	if n := testing.AllocsPerRun(100, func() { buf = tp.AppendTo(buf[:0]) }); n != 0 {
		t.Fatalf("AppendTo allocates %v times", n)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"PLJ", "PLP", "TLJ", "SLM", "PLM/scope-3/", "PLJ/", "XYZ", "PLJ/a/b/"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tp, err := Parse(b)
		if err != nil {
			return
		}
		if err := tp.Validate(); err != nil {
			t.Fatalf("Parse accepted %q but Validate says %v", b, err)
		}
		if got := tp.String(); got != string(b) {
			t.Fatalf("Parse(%q) formats back as %q", b, got)
		}
	})
}

func TestCheckEquipmentAgreesWithValidName(t *testing.T) {
	for _, id := range []string{"", ".", "..", "scope-3", "a/b", "é", strings.Repeat("x", 128), strings.Repeat("x", 129), "A.b_c-9"} {
		if got, want := logbus.ValidName(id), checkEquipment(id) == nil; got != want {
			t.Errorf("logbus.ValidName(%q) = %v, checkEquipment says %v", id, got, want)
		}
	}
	var ok bool
	if n := testing.AllocsPerRun(100, func() { ok = logbus.ValidName("") || logbus.ValidName("scope-3") }); n != 0 || !ok {
		t.Errorf("ValidName allocates %v times", n)
	}
}
