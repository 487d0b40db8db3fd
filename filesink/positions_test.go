package filesink

import (
	"cmp"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/subscriber"
	"github.com/logbus/logbus/topic"
)

func byPosition(a, b subscriber.Position) int {
	return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Stream, b.Stream))
}

func numbered(tp topic.Topic, stream, seq uint64) subscriber.Event {
	ev := recEvent(logbus.LevelInfo, "scope-3", "lab-7", "m")
	ev.Topic = tp
	ev.Record.Stream, ev.Record.Seq = stream, seq
	return ev
}

// TestPositionsSurviveARestart: the positions written by one sink are
// what the next sink on the same root resumes from, per stream and topic
// (equipment suffix included), and only for records that were written.
func TestPositionsSurviveARestart(t *testing.T) {
	root := t.TempDir()
	suffixed := plm
	suffixed.Equipment = "scope-3"
	s, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Positions()) != 0 {
		t.Fatalf("a new root has positions %v", s.Positions())
	}
	for seq := uint64(1); seq <= 5; seq++ {
		s.Add(numbered(plm, 7, seq))
	}
	s.Add(numbered(suffixed, 7, 40))
	s.Add(numbered(plm, 9, 3))
	s.Add(numbered(plm, 7, 4)) // late: does not move the position back
	s.Add(recEvent(logbus.LevelInfo, "scope-3", "lab-7", "unnumbered (a Python client)"))
	s.Flush()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := newSink(t, Config{Root: root})
	got := s2.Positions()
	slices.SortFunc(got, byPosition)
	want := []subscriber.Position{{Stream: 7, Topic: "PLM", Seq: 5}, {Stream: 9, Topic: "PLM", Seq: 3}, {Stream: 7, Topic: suffixed.String(), Seq: 40}}
	slices.SortFunc(want, byPosition)
	if !slices.Equal(got, want) {
		t.Fatalf("resumed from %v, want %v", got, want)
	}
	if !strings.HasSuffix(suffixed.String(), "/scope-3/") {
		t.Fatalf("suffixed topic %q", suffixed.String())
	}
}

// TestPositionsNotAheadOfFiles: while records wait in memory because even
// the central log cannot be written, the positions are not saved.
func TestPositionsNotAheadOfFiles(t *testing.T) {
	root := t.TempDir()
	s := newSink(t, Config{Root: root})
	s.Add(numbered(plm, 7, 1))
	s.Flush()
	// The central log becomes a directory: unwritable.
	central := filepath.Join(root, "central.log")
	if err := os.Remove(central); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	s.closeAll()
	if err := os.Mkdir(central, 0o755); err != nil {
		t.Fatal(err)
	}
	ev := numbered(plm, 7, 2)
	ev.Record.Equipment = "" // goes to the central log
	s.Add(ev)
	s.Flush()
	if s.Stats().Backlog == 0 {
		t.Fatal("the central log took the record")
	}
	b, err := os.ReadFile(filepath.Join(root, "logbus.positions"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), " 1 PLM") || strings.Contains(string(b), " 2 PLM") {
		t.Fatalf("positions claim a record still in memory:\n%s", b)
	}
	if err := os.Remove(central); err != nil { // let Close write it
		t.Fatal(err)
	}
}

func TestPositionsConfig(t *testing.T) {
	root := t.TempDir()
	s := newSink(t, Config{Root: root, Positions: "-"})
	s.Add(numbered(plm, 7, 1))
	s.Flush()
	if _, err := os.Stat(filepath.Join(root, "logbus.positions")); !os.IsNotExist(err) {
		t.Errorf(`positions saved with "-": %v`, err)
	}
	for _, name := range []string{"../up", "a/b", "central.log"} {
		if _, err := New(&Config{Root: root, Positions: name}); err == nil {
			t.Errorf("positions name %q accepted", name)
		}
	}
	// A file of another kind under that name (zeros after a hard reset,
	// garbage, another program's file) is moved aside, not overwritten,
	// and the sink starts without positions.
	for _, junk := range [][]byte{make([]byte, 4096), []byte("precious\n"), {0xff, 0xfe, 0x00, 0x13}} {
		path := filepath.Join(root, "other")
		if err := os.WriteFile(path, junk, 0o644); err != nil {
			t.Fatal(err)
		}
		var logged testsupport.LockedBuffer
		s, err := New(&Config{Root: root, Positions: "other", Logger: slog.New(slog.NewTextHandler(&logged, nil))})
		if err != nil {
			t.Fatalf("%q: %v", junk[:min(len(junk), 8)], err)
		}
		if len(s.Positions()) != 0 || !strings.Contains(logged.String(), "moved aside") {
			t.Errorf("positions %v, log %q", s.Positions(), logged.String())
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		aside, _ := filepath.Glob(path + ".damaged-*")
		if len(aside) != 1 {
			t.Fatalf("moved aside: %v", aside)
		}
		if b, err := os.ReadFile(aside[0]); err != nil || string(b) != string(junk) {
			t.Errorf("the damaged file was not kept as it was: %v", err)
		}
		if err := os.Remove(aside[0]); err != nil {
			t.Fatal(err)
		}
	}
	// Lines that do not parse are skipped, the rest resumed.
	body := "zz 1 PLM\n0000000000000007 9 PLM\n0000000000000008 3 NOPE\n"
	bad := fmt.Sprintf("%s len=%d crc=%08x\n%s", positionsMagic, len(body), crc32.ChecksumIEEE([]byte(body)), body)
	if err := os.WriteFile(filepath.Join(root, "p"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	s2 := newSink(t, Config{Root: root, Positions: "p"})
	if got := s2.Positions(); len(got) != 1 || got[0] != (subscriber.Position{Stream: 7, Topic: "PLM", Seq: 9}) {
		t.Errorf("resumed %v", got)
	}
	// Contents cut short are not resumed from; contents followed by the
	// end of older, longer ones (a stop between write and truncation) are.
	for c, want := range map[string]int{bad[:len(bad)-5]: 0, bad + "0000000000000009 4 PLM\n": 1} {
		if err := os.WriteFile(filepath.Join(root, "q"), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := newSink(t, Config{Root: root, Positions: "q"}).Positions(); len(got) != want {
			t.Errorf("resumed %v from %q", got, c)
		}
	}
}

// TestPositionsShrinkInPlace: a save shorter than the one before leaves
// no trace of it (the file is rewritten in place).
func TestPositionsShrinkInPlace(t *testing.T) {
	root := t.TempDir()
	s := newSink(t, Config{Root: root})
	for st := uint64(1); st <= 50; st++ {
		s.Add(numbered(plm, st, 1000000))
	}
	s.Flush()
	s.pos.pos = subscriber.NewPositions(maxPositions) // as if forgotten
	s.Add(numbered(plm, 3, 1000001))
	s.Flush()
	s2, err := New(&Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s2.Close(); err != nil {
			t.Error(err)
		}
	}()
	if got := s2.Positions(); len(got) != 1 || got[0].Stream != 3 || got[0].Seq != 1000001 {
		t.Errorf("resumed %v", got)
	}
}

// TestSinkFilesAreReserved: no template can write into the sink's own
// files (positions, central log and its rotated copies).
func TestSinkFilesAreReserved(t *testing.T) {
	root := t.TempDir()
	s := newSink(t, Config{Root: root, PathTemplate: "{equipment}"})
	s.Add(numbered(plm, 7, 1))
	s.Flush()
	before, err := os.ReadFile(filepath.Join(root, "logbus.positions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, eq := range []string{"logbus.positions", "logbus.positions.tmp", "central.log", "central.log.3"} {
		s.Add(recEvent(logbus.LevelInfo, eq, "lab-7", "aimed at "+eq))
	}
	s.Flush()
	if got := s.Stats().Refused; got != 4 {
		t.Errorf("%d records refused, want 4", got)
	}
	after, err := os.ReadFile(filepath.Join(root, "logbus.positions"))
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Errorf("positions file changed:\n%s", after)
	}
	if _, err := os.Stat(filepath.Join(root, "central.log.3")); !os.IsNotExist(err) {
		t.Errorf("a record created central.log.3: %v", err)
	}
}

// TestPositionsForget: past maxPositions the most recently written half
// is kept.
func TestPositionsForget(t *testing.T) {
	p := positions{path: "unused", pos: subscriber.NewPositions(maxPositions)}
	for i := range uint64(maxPositions + 10) {
		p.note(plm, &logbus.Envelope{Stream: i + 1, Seq: 1})
	}
	p.settle()
	if n := p.pos.Len(); n > maxPositions/2+10 || n < maxPositions/2 {
		t.Fatalf("%d kept, want about %d", n, maxPositions/2)
	}
	for q := range p.pos.All() {
		if q.Stream <= maxPositions/2 {
			t.Fatalf("kept an old stream %+v", q)
		}
	}
}

// FuzzPositionsLoad: whatever the positions file holds, loading it never
// fails on its contents (only I/O errors and a foreign header are errors)
// and what it resumes from saves and loads back the same.
func FuzzPositionsLoad(f *testing.F) {
	body := "0000000000000007 9 PLM\n00000000000000ff 3 TPJ/scope-3/\n"
	f.Add([]byte(fmt.Sprintf("%s len=%d crc=%08x\n%s", positionsMagic, len(body), crc32.ChecksumIEEE([]byte(body)), body)))
	f.Add([]byte(positionsMagic + " len=0 crc=00000000\n"))
	dup := "0000000000000007 9 PLM\n0000000000000007 4 PLM\n"
	f.Add([]byte(fmt.Sprintf("%s len=%d crc=%08x\n%s", positionsMagic, len(dup), crc32.ChecksumIEEE([]byte(dup)), dup)))
	f.Add([]byte(positionsMagic + " len=99999999999999999999 crc=1\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "p")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		p := positions{path: path}
		t.Cleanup(func() {
			if err := p.close(); err != nil {
				t.Error(err)
			}
		})
		if _, moved, err := p.load(); err != nil || moved != "" {
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			return
		}
		first := p.loaded
		p.dirty = p.pos.Len() > 0
		if err := p.save(time.Now(), true); err != nil {
			t.Fatal(err)
		}
		if err := p.close(); err != nil {
			t.Fatal(err)
		}
		q := positions{path: path}
		if _, _, err := q.load(); err != nil {
			t.Fatal(err)
		}
		if len(first) > 0 && len(q.loaded) != len(first) {
			t.Fatalf("resumed %d positions, then %d after saving them", len(first), len(q.loaded))
		}
		for _, pos := range q.loaded {
			if !slices.Contains(first, pos) {
				t.Fatalf("position %v appeared on saving", pos)
			}
		}
	})
}
