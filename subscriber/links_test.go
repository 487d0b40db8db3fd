package subscriber

import (
	"testing"

	"github.com/logbus/logbus/origin"
)

func TestLinker(t *testing.T) {
	l := &linker{m: map[uint64]LinkPosition{}}
	l.seed([]LinkPosition{{Link: 9, Seq: 100, Unnumbered: 40}})
	hop := func(link, seq, unnumbered uint64, numbered bool) origin.Origin {
		return origin.Origin{Link: link, Seq: seq, Unnumbered: unnumbered, Numbered: numbered}
	}
	type step struct {
		chain    []origin.Origin
		records  int
		ok       bool
		messages []uint64 // per gap reported
		unnum    []uint64
		hops     []int
	}
	steps := []step{
		{chain: []origin.Origin{hop(9, 101, 41, false)}, records: 1, ok: true}, // resumed: continues
		{chain: []origin.Origin{hop(9, 105, 44, false)}, records: 1, ok: true, // 3 lost, 2 of them unnumbered
			messages: []uint64{3}, unnum: []uint64{2}, hops: []int{0}},
		{chain: []origin.Origin{hop(9, 104, 43, false)}, records: 1, ok: false},                    // a copy
		{chain: []origin.Origin{hop(9, 106, 44, true)}, records: 64, ok: true},                     // numbered: own records not unnumbered
		{chain: []origin.Origin{hop(7, 10, 10, false), hop(8, 1, 1, false)}, records: 1, ok: true}, // new links join
		{chain: []origin.Origin{hop(7, 14, 14, false), hop(8, 2, 2, false)}, records: 1, ok: true, // lost on the site link
			messages: []uint64{3}, unnum: []uint64{3}, hops: []int{1}},
		{chain: []origin.Origin{hop(7, 20, 20, false), hop(8, 5, 5, false)}, records: 1, ok: true, // 2 lost on the last hop, 3 more on the site link
			messages: []uint64{2, 3}, unnum: []uint64{2, 3}, hops: []int{0, 1}},
		{chain: []origin.Origin{hop(7, 23, 23, false), hop(8, 8, 8, false)}, records: 1, ok: true, // lost on the last hop only
			messages: []uint64{2}, unnum: []uint64{2}, hops: []int{0}},
		{chain: []origin.Origin{hop(7, 18, 18, false), hop(8, 6, 6, false)}, records: 1, ok: false}, // a replayed copy from the site
	}
	for i, st := range steps {
		gaps, ok := l.check(st.chain, st.records, nil)
		if ok != st.ok || len(gaps) != len(st.messages) {
			t.Fatalf("step %d: ok %v gaps %+v", i, ok, gaps)
		}
		for k, g := range gaps {
			if g.Messages != st.messages[k] || g.Unnumbered != st.unnum[k] || g.Hop != st.hops[k] {
				t.Errorf("step %d: gap %+v, want messages %d unnumbered %d hop %d", i, g, st.messages[k], st.unnum[k], st.hops[k])
			}
		}
	}
	if l.Gaps != 5 || l.Messages != 13 || l.Unnumbered != 12 || l.Duplicates != 2 {
		t.Errorf("totals %+v", l)
	}
}
