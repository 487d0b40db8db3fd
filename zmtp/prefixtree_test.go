package zmtp

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// linearHas is the definition match must agree with: some prefix is a
// prefix of topic.
func linearHas(ps [][]byte, topic []byte) bool {
	for _, p := range ps {
		if bytes.HasPrefix(topic, p) {
			return true
		}
	}
	return false
}

// TestSubSetMatchesLikeLinear: through random subscribes and cancels
// (repeated ones, shared prefixes, prefixes of each other, the empty
// prefix), every version of a set matches exactly the topics a
// comparison with each prefix matches, and older versions keep answering
// for the prefixes they held (a sender may still hold one).
func TestSubSetMatchesLikeLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	alphabet := []byte("PLJM/ab-1")
	word := func(max int) []byte {
		b := make([]byte, rng.IntN(max+1))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return b
	}
	type version struct {
		set  *subSet
		held [][]byte
	}
	var s *subSet
	held := map[string]int{}
	var versions []version
	for step := range 3000 {
		p := word(6)
		if step%500 == 0 {
			p = nil // the empty prefix comes and goes too
		}
		add := rng.IntN(3) > 0 || held[string(p)] == 0
		if !add && rng.IntN(2) == 0 {
			p = word(6) // a cancel of something perhaps never subscribed
		}
		s, _ = s.with(p, add)
		switch {
		case add:
			held[string(p)]++
		case held[string(p)] > 0:
			held[string(p)]--
			if held[string(p)] == 0 {
				delete(held, string(p))
			}
		}
		var ps [][]byte
		for k := range held {
			ps = append(ps, []byte(k))
		}
		if s.size() != len(ps) {
			t.Fatalf("step %d: %d distinct prefixes, want %d", step, s.size(), len(ps))
		}
		if step%10 == 0 {
			versions = append(versions, version{s, ps})
		}
		for range 20 {
			topic := word(10)
			if got, want := s.match(topic), linearHas(ps, topic); got != want {
				t.Fatalf("step %d: match(%q) = %v, want %v (prefixes %q)", step, topic, got, want, ps)
			}
		}
	}
	for i, v := range versions {
		for range 50 {
			topic := word(10)
			if got, want := v.set.match(topic), linearHas(v.held, topic); got != want {
				t.Fatalf("version %d: match(%q) = %v, want %v", i, topic, got, want)
			}
		}
	}
}

// TestPrefixTreeStaysSmall: after every prefix is cancelled the tree is
// empty, and a tree of n prefixes has at most 2n nodes.
func TestPrefixTreeStaysSmall(t *testing.T) {
	var s *subSet
	var ps [][]byte
	for i := range 4096 {
		p := fmt.Appendf(nil, "PLJ/eq-%d/", i*7919%10007)
		ps = append(ps, p)
		s, _ = s.with(p, true)
	}
	if n := s.tree.nodes(); n > 2*len(ps)+1 {
		t.Fatalf("%d nodes for %d prefixes", n, len(ps))
	}
	for _, p := range ps {
		s, _ = s.with(p, false)
	}
	if n := s.tree.nodes(); n != 1 || s.tree.end || len(s.tree.label) != 0 {
		t.Fatalf("after every cancel: %d nodes, root %+v", n, *s.tree)
	}
	if s.match([]byte("PLJ/eq-1/")) {
		t.Fatal("an empty set matched")
	}
}

func (n *prefixNode) nodes() int {
	if n == nil {
		return 0
	}
	c := 1
	for _, k := range n.kids {
		c += k.nodes()
	}
	return c
}

// BenchmarkMatch: the cost of matching one topic against a subscriber's
// set, by the set's size, none of its prefixes matching (a dashboard
// watching other equipment): with the tree it does not grow with the
// number of prefixes.
func BenchmarkMatch(b *testing.B) {
	topic := []byte("PLM/scope-3/")
	for _, n := range []int{1, 2, 4, 8, 64, 4096} {
		var s *subSet
		for i := range n {
			s, _ = s.with(fmt.Appendf(nil, "PLM/eq-%04d/", i), true)
		}
		b.Run(fmt.Sprintf("prefixes=%d", n), func(b *testing.B) {
			for b.Loop() {
				if s.match(topic) {
					b.Fatal("matched")
				}
			}
		})
	}
}

// TestSubSetDistinct: the prefixes a set gives back (for a reconnect's
// resubscription) are exactly those it holds.
func TestSubSetDistinct(t *testing.T) {
	var s *subSet
	want := map[string]bool{}
	for i := range 300 {
		p := fmt.Appendf(nil, "PL%c/eq-%d/", "JMP"[i%3], i%97)
		if i%41 == 0 {
			p = p[:3]
		}
		s, _ = s.with(p, true)
		want[string(p)] = true
		got := map[string]bool{}
		for _, d := range s.distinct() {
			if got[string(d)] {
				t.Fatalf("%q twice", d)
			}
			got[string(d)] = true
		}
		if len(got) != len(want) {
			t.Fatalf("after %d: %d distinct, want %d", i, len(got), len(want))
		}
		for k := range want {
			if !got[k] {
				t.Fatalf("after %d: %q missing", i, k)
			}
		}
	}
}

// TestSubscribeCostIsLinear: subscribing to 4096 prefixes one by one
// allocates per prefix about one tree path, not a copy of the whole set
// (which made 40 such dashboards cost seconds of CPU).
func TestSubscribeCostIsLinear(t *testing.T) {
	ps := make([][]byte, 4096)
	for i := range ps {
		ps[i] = fmt.Appendf(nil, "PLM/eq-%04d/", i)
	}
	var bytesPer float64
	allocs := testing.AllocsPerRun(3, func() {
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		var s *subSet
		for _, p := range ps {
			s, _ = s.with(p, true)
		}
		runtime.ReadMemStats(&ms1)
		bytesPer = float64(ms1.TotalAlloc-ms0.TotalAlloc) / float64(len(ps))
	})
	t.Logf("%.1f allocations, %.0f bytes per subscribe", allocs/float64(len(ps)), bytesPer)
	if per := allocs / float64(len(ps)); per > 20 {
		t.Errorf("%.1f allocations per subscribe", per)
	}
	// A list copy per subscribe would cost 4096*24/2 = 48 KiB on average.
	if bytesPer > 4096 {
		t.Errorf("%.0f bytes allocated per subscribe", bytesPer)
	}
}
