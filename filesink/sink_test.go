package filesink

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/origin"
	"github.com/logbus/logbus/subscriber"
	"github.com/logbus/logbus/topic"
)

var plm = topic.Topic{System: logbus.Production, Kind: topic.Log, Encoding: topic.Msgpack}

func newSink(t *testing.T, cfg Config) *Sink {
	t.Helper()
	if cfg.Root == "" {
		cfg.Root = t.TempDir()
	}
	s, err := New(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func recEvent(level logbus.Level, equipment, host, msg string) subscriber.Event {
	r := &logbus.Record{Envelope: logbus.Envelope{Time: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), Host: host, Equipment: equipment},
		Level: level, Message: msg}
	return subscriber.Event{Kind: subscriber.KindRecord, Topic: plm, Record: r}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

func TestRouting(t *testing.T) {
	s := newSink(t, Config{})
	s.Add(recEvent(logbus.LevelInfo, "scope-3", "lab-7", "first\nsecond line"))
	s.Add(recEvent(logbus.LevelError, "scope-3", "lab-7", "bad"))
	s.Add(recEvent(logbus.LevelInfo, "", "lab-7", "no equipment"))
	s.Add(subscriber.Event{Kind: subscriber.KindSample, Topic: topic.Topic{System: 'P', Kind: 'P', Encoding: 'M'},
		Sample: &logbus.Sample{Envelope: logbus.Envelope{Host: "lab-7", Equipment: "cryo-1"}, Name: "temp", Value: 4.2, Unit: "K"}})
	s.Add(subscriber.Event{Kind: subscriber.KindGap, Gap: logbus.Gap{Stream: 1, Topic: "PLM", Host: "lab-7", PID: 3, Missing: 5, After: 9}})
	s.Flush()
	root := s.cfg.Root
	got := readLines(t, filepath.Join(root, "scope-3", "lab-7.log"))
	want := []string{
		"2026-11-22T10:00:00.000Z INFO [host:lab-7] [equip:scope-3] first",
		"    second line",
		"2026-11-22T10:00:00.000Z ERROR [host:lab-7] [equip:scope-3] bad",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("scope-3 file:\n%s", strings.Join(got, "\n"))
	}
	central := strings.Join(readLines(t, filepath.Join(root, "central.log")), "\n")
	if !strings.Contains(central, "no equipment") || !strings.Contains(central, "GAP stream=0000000000000001 topic=PLM host=lab-7 pid=3 missing=5") {
		t.Errorf("central:\n%s", central)
	}
	samples := readLines(t, filepath.Join(root, "cryo-1", "lab-7.samples.jsonl"))
	if len(samples) != 1 || !strings.Contains(samples[0], `"name":"temp","value":4.2,"unit":"K"`) {
		t.Errorf("samples %q", samples)
	}
	if st := s.Stats(); st.Fsyncs != 1 || st.Gaps != 1 || st.Missing != 5 {
		t.Errorf("stats %+v", st)
	}
}

// TestPathAttacks: hostile equipment ids create nothing outside the root
// and every such record lands in the central log with its reason.
func TestPathAttacks(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{root, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A link planted inside the root, pointing out of it.
	if err := os.Symlink(outside, filepath.Join(root, "evil")); err != nil {
		t.Fatal(err)
	}
	s := newSink(t, Config{Root: root})
	attacks := []string{"../x", "/etc/passwd", "..", ".", "a\x00b", strings.Repeat("A", 300), "é", "a/b", "evil", "x y", "a\\b"}
	for i, eq := range attacks {
		s.Add(recEvent(logbus.LevelInfo, eq, "lab-7", "attack "+string(rune('a'+i))))
	}
	s.Flush()
	entries, err := os.ReadDir(outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("created outside the root: %v", entries)
	}
	central := strings.Join(readLines(t, filepath.Join(root, "central.log")), "\n")
	for i, eq := range attacks {
		msg := "attack " + string(rune('a'+i))
		if !strings.Contains(central, msg) {
			t.Errorf("record with equipment %q missing from the central log", eq)
		}
	}
	if !strings.Contains(central, `logbus.refused="{equipment}=\"../x\""`) {
		t.Errorf("reason not recorded:\n%s", central)
	}
	if strings.Contains(central, "\x00") {
		t.Error("NUL written raw")
	}
	if st := s.Stats(); st.Refused != uint64(len(attacks)-1) || st.Rerouted != 1 {
		// "evil" passes the name check and fails at open (a link): rerouted.
		t.Errorf("stats %+v", st)
	}
}

func TestTemplateRejects(t *testing.T) {
	for _, tmpl := range []string{"/abs/{host}.log", "../{host}", "{equipment}/../x", "{nope}.log", "{host", "a//b", "a b/{host}", `a\{host}`} {
		if _, err := New(&Config{Root: t.TempDir(), PathTemplate: tmpl}); err == nil {
			t.Errorf("template %q accepted", tmpl)
		}
	}
	s := newSink(t, Config{PathTemplate: "{equipment}/.exlab-wizard/wizard.{host}.log"})
	s.Add(recEvent(logbus.LevelInfo, "scope-3", "lab-7", "wizard layout"))
	s.Flush()
	if l := readLines(t, filepath.Join(s.cfg.Root, "scope-3", ".exlab-wizard", "wizard.lab-7.log")); len(l) != 1 {
		t.Errorf("lab-wizard layout: %q", l)
	}
}

// TestGroupCommit: one fsync per file covers every ERROR record of a batch.
func TestGroupCommit(t *testing.T) {
	s := newSink(t, Config{})
	for range 500 {
		s.Add(recEvent(logbus.LevelError, "scope-3", "lab-7", "storm"))
		s.Add(recEvent(logbus.LevelInfo, "scope-4", "lab-7", "calm"))
	}
	s.Flush()
	if st := s.Stats(); st.Fsyncs != 1 || st.Writes != 2 {
		t.Errorf("fsyncs %d writes %d, want 1 and 2", st.Fsyncs, st.Writes)
	}
}

func TestCacheChurnAndIdleClose(t *testing.T) {
	s := newSink(t, Config{MaxOpen: 4, IdleClose: time.Minute})
	now := time.Unix(1000, 0)
	s.now = func() time.Time { return now }
	for round := range 5 {
		for e := range 20 {
			s.Add(recEvent(logbus.LevelInfo, "eq-"+string(rune('a'+e)), "h", "round "+string(rune('0'+round))))
		}
		s.Flush()
		if st := s.Stats(); st.OpenFiles > 4 {
			t.Fatalf("%d files open, bound 4", st.OpenFiles)
		}
	}
	for e := range 20 {
		if l := readLines(t, filepath.Join(s.cfg.Root, "eq-"+string(rune('a'+e)), "h.log")); len(l) != 5 {
			t.Fatalf("eq-%c has %d lines", 'a'+e, len(l))
		}
	}
	now = now.Add(2 * time.Minute)
	s.housekeeping()
	if s.open.n != 0 {
		t.Errorf("%d files still open after the idle period", s.open.n)
	}
}

func TestLogrotateAndReopen(t *testing.T) {
	s := newSink(t, Config{})
	now := time.Unix(1000, 0)
	s.now = func() time.Time { return now }
	path := filepath.Join(s.cfg.Root, "scope-3", "lab-7.log")
	s.Add(recEvent(logbus.LevelInfo, "scope-3", "lab-7", "before rotation"))
	s.Flush()
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Second)
	s.Add(recEvent(logbus.LevelInfo, "scope-3", "lab-7", "after rotation"))
	s.Flush()
	if l := readLines(t, path); len(l) != 1 || !strings.Contains(l[0], "after rotation") {
		t.Errorf("new file: %q", l)
	}
	if l := readLines(t, path+".1"); len(l) != 1 || !strings.Contains(l[0], "before rotation") {
		t.Errorf("rotated file: %q", l)
	}
	s.Reopen()
	if !s.reopen.Load() {
		t.Fatal("Reopen not recorded")
	}
	if st := s.Stats(); st.Reopened != 1 {
		t.Errorf("reopened %d", st.Reopened)
	}
}

// TestFailingDestination: a destination that cannot be opened sends its
// records to the central log with the error; others keep working; it is
// retried after its back-off.
func TestFailingDestination(t *testing.T) {
	s := newSink(t, Config{})
	now := time.Unix(1000, 0)
	s.now = func() time.Time { return now }
	// A directory where the file should be: every open fails.
	bad := filepath.Join(s.cfg.Root, "broken", "lab-7.log")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		s.Add(recEvent(logbus.LevelError, "broken", "lab-7", "to a broken place"))
		s.Add(recEvent(logbus.LevelInfo, "fine", "lab-7", "to a fine place"))
	}
	s.Flush()
	s.Add(recEvent(logbus.LevelInfo, "broken", "lab-7", "while backing off"))
	s.Flush()
	central := strings.Join(readLines(t, filepath.Join(s.cfg.Root, "central.log")), "\n")
	if strings.Count(central, "to a broken place") != 3 || !strings.Contains(central, "DESTINATION-ERROR") ||
		!strings.Contains(central, "while backing off") || !strings.Contains(central, "logbus.destination_error") {
		t.Errorf("central:\n%s", central)
	}
	if l := readLines(t, filepath.Join(s.cfg.Root, "fine", "lab-7.log")); len(l) != 3 {
		t.Errorf("fine destination has %d lines", len(l))
	}
	if st := s.Stats(); st.Failing != 1 || st.Rerouted != 4 {
		t.Errorf("stats %+v", st)
	}
	// Repaired, and past the back-off: the destination works again.
	if err := os.Remove(bad); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	s.Add(recEvent(logbus.LevelInfo, "broken", "lab-7", "repaired"))
	s.Flush()
	if l := readLines(t, bad); len(l) != 1 {
		t.Errorf("repaired destination: %q", l)
	}
	if st := s.Stats(); st.Failing != 0 {
		t.Errorf("still failing: %+v", st)
	}
}

func TestCentralRotation(t *testing.T) {
	s := newSink(t, Config{CentralMaxBytes: 1000, CentralBackups: 2})
	for range 50 {
		s.Add(recEvent(logbus.LevelInfo, "", "lab-7", strings.Repeat("x", 100)))
		s.Flush()
	}
	for _, name := range []string{"central.log", "central.log.1", "central.log.2"} {
		if _, err := os.Stat(filepath.Join(s.cfg.Root, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(s.cfg.Root, "central.log.3")); err == nil {
		t.Error("more backups than configured")
	}
}

// TestJSONNotices: with Format "json" every line of the central log is a
// JSON record, notices included: a WARN record from logbus.filesink whose
// message is the notice's text and whose attributes carry the event and
// its details.
func TestJSONNotices(t *testing.T) {
	s := newSink(t, Config{Root: t.TempDir(), Format: "json"})
	s.Add(subscriber.Event{Kind: subscriber.KindGap, Gap: logbus.Gap{Stream: 1, Topic: "PLM", Host: "lab-7", PID: 3, Missing: 5, After: 9}})
	s.Add(subscriber.Event{Kind: subscriber.KindDecodeError, Topic: plm, Err: errors.New("codec: malformed msgpack")})
	s.Flush()
	lines := readLines(t, filepath.Join(s.cfg.Root, "central.log"))
	if len(lines) != 2 {
		t.Fatalf("central log:\n%s", strings.Join(lines, "\n"))
	}
	for i, want := range []struct{ event, msg, detail string }{
		{"gap", "GAP stream=0000000000000001 topic=PLM host=lab-7 pid=3 missing=5 after=9", "missing"},
		{"decode_error", "DECODE-ERROR topic=PLM codec: malformed msgpack", "error"},
	} {
		var m struct {
			Level  string         `json:"level"`
			Logger string         `json:"logger"`
			Msg    string         `json:"msg"`
			Attrs  map[string]any `json:"attrs"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", i, err, lines[i])
		}
		if m.Level != "WARN" || m.Logger != "logbus.filesink" || m.Msg != want.msg || m.Attrs["event"] != want.event || m.Attrs[want.detail] == nil {
			t.Errorf("line %d: %s", i, lines[i])
		}
	}
}

// TestFileWhereDirectoryShouldBe: a regular file where an equipment
// directory should be is reported as what it is, not as a symbolic link;
// the records go to the central log.
func TestFileWhereDirectoryShouldBe(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the Windows root names path problems its own way")
	}
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "scope-3"), []byte("not a directory\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newSink(t, Config{Root: root})
	s.Add(recEvent(logbus.LevelInfo, "scope-3", "lab-7", "where does this go"))
	s.Flush()
	central := strings.Join(readLines(t, filepath.Join(root, "central.log")), "\n")
	if !strings.Contains(central, "where does this go") {
		t.Fatalf("record lost:\n%s", central)
	}
	if !strings.Contains(central, "scope-3 is a regular file") || strings.Contains(central, "symbolic link") {
		t.Errorf("reason:\n%s", central)
	}
}

// deletedWhileOpen returns a sink that has written scope-3/pc1.log
// under root and still has it open, the file deleted since.
func deletedWhileOpen(t *testing.T) (s *Sink, root, path string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("Windows does not delete a file open for writing")
	}
	root = t.TempDir()
	s = newSink(t, Config{Root: root})
	path = filepath.Join(root, "scope-3", "pc1.log")
	s.Add(recEvent(logbus.LevelInfo, "scope-3", "pc1", "before"))
	s.Flush()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	return s, root, path
}

// TestFileDeletedWhileWritten: a log file deleted while the sink has it
// open (rm while records flow) is recreated at the next write, and the
// records of that write land in it instead of the deleted file.
func TestFileDeletedWhileWritten(t *testing.T) {
	s, _, path := deletedWhileOpen(t)
	for i := range 14 {
		s.Add(recEvent(logbus.LevelInfo, "scope-3", "pc1", fmt.Sprintf("after %d", i)))
	}
	s.Flush()
	lines := readLines(t, path)
	if len(lines) != 14 || !strings.HasSuffix(lines[0], "after 0") {
		t.Fatalf("the recreated file holds %d lines: %q", len(lines), lines)
	}
	if st := s.Stats(); st.Reopened == 0 {
		t.Errorf("not counted: %+v", st)
	}
}

// TestDeletedFileCannotBeRecreated: when the name of a file deleted while
// written cannot be opened again (a directory took it), the records of
// that write go to the central log, none is lost silently.
func TestDeletedFileCannotBeRecreated(t *testing.T) {
	s, root, path := deletedWhileOpen(t)
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		s.Add(recEvent(logbus.LevelInfo, "scope-3", "pc1", fmt.Sprintf("orphan %d", i)))
	}
	s.Flush()
	central := strings.Join(readLines(t, filepath.Join(root, "central.log")), "\n")
	for i := range 5 {
		if !strings.Contains(central, fmt.Sprintf("orphan %d", i)) {
			t.Errorf("record %d lost; central log:\n%s", i, central)
		}
	}
	if st := s.Stats(); st.Rerouted != 5 {
		t.Errorf("rerouted %d, want 5", st.Rerouted)
	}
}

// TestRegularFileDeeperInPath: the component named is the one that is a
// regular file, however deep.
func TestRegularFileDeeperInPath(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the Windows root names path problems its own way")
	}
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "scope-3"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "scope-3", "pc1"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newSink(t, Config{Root: root, PathTemplate: "{equipment}/{host}/x.log"})
	s.Add(recEvent(logbus.LevelInfo, "scope-3", "pc1", "deep"))
	s.Flush()
	central := strings.Join(readLines(t, filepath.Join(root, "central.log")), "\n")
	if !strings.Contains(central, "pc1 is a regular file") {
		t.Errorf("reason:\n%s", central)
	}
}

// TestHostFallback (issue #16: every logbook record, which carries no
// host, was refused to central.log by the default {equipment}/{host}.log):
// a record without a host reaches its equipment's directory under the
// sender's login, else its address, else "unknown-host", and says which.
func TestHostFallback(t *testing.T) {
	root := t.TempDir()
	s := newSink(t, Config{Root: root})
	for _, tc := range []struct {
		o    *origin.Origin
		file string
		from string
	}{
		{&origin.Origin{Peer: []byte("10.1.2.3:51234"), User: []byte("lab7")}, "lab7.log", "login"},
		{&origin.Origin{Peer: []byte("10.1.2.3:51234")}, "10.1.2.3.log", "address"},
		{&origin.Origin{Peer: []byte("[fe80::1]:5010")}, "fe80--1.log", "address"},
		{nil, "unknown-host.log", "unknown"},
	} {
		ev := recEvent(logbus.LevelInfo, "scope-3", "", "from logbook via "+tc.from)
		ev.Origin = tc.o
		s.Add(ev)
		s.Flush()
		lines := readLines(t, filepath.Join(root, "scope-3", tc.file))
		if len(lines) == 0 || !strings.Contains(lines[len(lines)-1], "logbus.host_from="+tc.from) {
			t.Errorf("%s: %q", tc.file, lines)
		}
	}
	if st := s.Stats(); st.Refused != 0 {
		t.Errorf("%d refused", st.Refused)
	}
}

// TestTimeFallback (issue #16: a record without a time was written with
// "-"): it is dated when the broker read it, else when the sink did, and
// says which.
func TestTimeFallback(t *testing.T) {
	root := t.TempDir()
	s := newSink(t, Config{Root: root})
	arrival := time.Date(2026, 11, 29, 12, 30, 0, 0, time.UTC)
	for _, o := range []*origin.Origin{{Arrival: arrival.UnixNano(), Peer: []byte("10.0.0.1:1")}, nil} {
		ev := recEvent(logbus.LevelInfo, "scope-3", "pc1", "undated")
		ev.Record.Time = time.Time{}
		ev.Origin = o
		s.Add(ev)
	}
	s.Flush()
	lines := readLines(t, filepath.Join(root, "scope-3", "pc1.log"))
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "2026-11-29T12:30:00") || !strings.Contains(lines[0], "logbus.time_from=arrival") ||
		strings.HasPrefix(lines[1], "-") || !strings.Contains(lines[1], "logbus.time_from=sink") {
		t.Errorf("lines %q", lines)
	}
}

// TestSystemKept (issue #16: `logbus send --system T` and `--system P`
// for one equipment wrote indistinguishable lines): a test or staging
// record is marked in the text line, and JSON lines carry "system".
func TestSystemKept(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		root := t.TempDir()
		s := newSink(t, Config{Root: root, Format: format})
		for _, sys := range []logbus.System{logbus.Test, logbus.Production} {
			ev := recEvent(logbus.LevelInfo, "scope-3", "pc1", "from "+string(rune(sys)))
			ev.Record.System = sys
			s.Add(ev)
		}
		s.Flush()
		lines := readLines(t, filepath.Join(root, "scope-3", "pc1.log"))
		if len(lines) != 2 {
			t.Fatalf("%s: %q", format, lines)
		}
		switch format {
		case "text":
			if !strings.Contains(lines[0], "[sys:T]") || strings.Contains(lines[1], "[sys:") {
				t.Errorf("text: %q", lines)
			}
		case "json":
			if !strings.Contains(lines[0], `"system":"T"`) || !strings.Contains(lines[1], `"system":"P"`) {
				t.Errorf("json: %q", lines)
			}
		}
	}
}

// TestSampleWithoutEquipment (issue #16: a sample without equipment was
// written as a JSON line into the text central log): it goes to the
// central samples file; the central log stays text.
func TestSampleWithoutEquipment(t *testing.T) {
	root := t.TempDir()
	s := newSink(t, Config{Root: root})
	sm := &logbus.Sample{Envelope: logbus.Envelope{Time: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), Host: "pc-9"}, Name: "cpu_load", Value: 0.5}
	s.Add(subscriber.Event{Kind: subscriber.KindSample, Topic: topic.Topic{System: logbus.Production, Kind: topic.Sample, Encoding: topic.JSON}, Sample: sm})
	s.Add(recEvent(logbus.LevelInfo, "", "pc-9", "a record without equipment"))
	s.Flush()
	lines := readLines(t, filepath.Join(root, "central.samples.jsonl"))
	if len(lines) != 1 || !strings.Contains(lines[0], `"cpu_load"`) {
		t.Errorf("central samples: %q", lines)
	}
	for _, l := range readLines(t, filepath.Join(root, "central.log")) {
		if strings.HasPrefix(l, "{") {
			t.Errorf("JSON in the text central log: %q", l)
		}
	}
}

// TestDecodeErrorFlood (found in a trial: 691,000 DECODE-ERROR lines in
// 5 s from one sender rotated every other line out of the central log):
// per sender 10 lines a window, the rest counted in one summary line that
// names the sender.
func TestDecodeErrorFlood(t *testing.T) {
	root := t.TempDir()
	s := newSink(t, Config{Root: root})
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return at }
	bad := subscriber.Event{Kind: subscriber.KindDecodeError, Topic: topic.Topic{System: 'P', Kind: 'L', Encoding: 'J'},
		Err: errors.New("codec: malformed JSON"), Origin: &origin.Origin{Peer: []byte("192.0.2.7:50112")}}
	for range 1000 {
		s.Add(bad)
	}
	s.Add(recEvent(logbus.LevelInfo, "", "lab-7", "a record among them"))
	at = at.Add(11 * time.Second)
	s.Add(bad)
	s.Flush()
	lines := readLines(t, filepath.Join(root, "central.log"))
	var errs, sums int
	for _, l := range lines {
		switch {
		case strings.Contains(l, "DECODE-ERROR topic=PLJ peer=192.0.2.7:50112 codec: malformed JSON"):
			errs++
		case strings.Contains(l, "DECODE-ERROR source=192.0.2.7 suppressed=990 "):
			sums++
		}
	}
	if errs != 11 || sums != 1 || !strings.Contains(strings.Join(lines, "\n"), "a record among them") {
		t.Errorf("%d DECODE-ERROR lines, %d summaries:\n%s", errs, sums, strings.Join(lines, "\n"))
	}
	if st := s.Stats(); st.DecodeErrors != 1001 || st.DecodeSuppressed != 990 {
		t.Errorf("stats %d errors, %d suppressed", st.DecodeErrors, st.DecodeSuppressed)
	}
}
