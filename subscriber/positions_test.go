package subscriber

import (
	"maps"
	"testing"
)

func TestPositionsAdvance(t *testing.T) {
	p := NewPositions(10)
	plm, suffixed := []byte("PLM"), []byte("PLM/scope-3/")
	if last, known := p.Advance(7, plm, 5); known || last != 0 {
		t.Fatalf("new stream: %d %v", last, known)
	}
	if last, known := p.Advance(7, plm, 9); !known || last != 5 {
		t.Fatalf("second number: %d %v", last, known)
	}
	if last, known := p.Advance(7, plm, 6); !known || last != 9 {
		t.Fatalf("late number: %d %v", last, known)
	}
	if last, known := p.Advance(7, suffixed, 1); known || last != 0 {
		t.Fatalf("another topic of the stream counts on its own: %d %v", last, known)
	}
	p.Seed([]Position{{Stream: 7, Topic: "PLM", Seq: 3}, {Stream: 8, Topic: "TLJ", Seq: 4}, {Stream: 0, Topic: "PLM", Seq: 9}, {Stream: 9, Topic: "PLM"}})
	got := map[Position]bool{}
	for q := range p.All() {
		got[q] = true
	}
	want := map[Position]bool{{7, "PLM", 9}: true, {7, "PLM/scope-3/", 1}: true, {8, "TLJ", 4}: true}
	if !maps.Equal(got, want) {
		t.Errorf("positions %v, want %v (a late number and a lower seed never move a position back)", got, want)
	}
	if n := testing.AllocsPerRun(100, func() { p.Advance(7, plm, 10) }); n != 0 {
		t.Errorf("advancing a tracked stream allocates %v times", n)
	}
}

// TestPositionsBounded: a full table forgets the streams idle longest,
// never the one just used.
func TestPositionsBounded(t *testing.T) {
	p := NewPositions(100)
	hot := []byte("PLM/hot/")
	for i := range uint64(10000) {
		p.Advance(i+1, []byte("PLM"), 1)
		p.Advance(1, hot, i+1)
		if p.Len() > 100 {
			t.Fatalf("tracking %d streams, bound 100", p.Len())
		}
	}
	if last, known := p.Advance(1, hot, 10001); !known || last != 10000 {
		t.Errorf("the busiest stream was forgotten: %d %v", last, known)
	}
	p.Seed([]Position{{Stream: 99999, Topic: "PLM", Seq: 1}})
	if p.Len() > 100 {
		t.Errorf("Seed went past the bound: %d", p.Len())
	}
}

// TestPositionsSeededEvict: a table filled by Seed (a file sink restarted
// with a full positions file) forgets about half of it for a new stream,
// not all of it.
func TestPositionsSeededEvict(t *testing.T) {
	p := NewPositions(1000)
	ps := make([]Position, 1000)
	for i := range ps {
		ps[i] = Position{Stream: uint64(i + 1), Topic: "PLM", Seq: 5}
	}
	p.Seed(ps)
	if p.Len() != 1000 {
		t.Fatalf("seeded %d", p.Len())
	}
	p.Advance(5000, []byte("PLM"), 1)
	if n := p.Len(); n < 450 || n > 551 {
		t.Errorf("%d streams left after one eviction of 1000 seeded, want about half", n)
	}
	if _, known := p.Advance(1000, []byte("PLM"), 6); !known {
		t.Error("the stream seeded last was forgotten first")
	}
}
