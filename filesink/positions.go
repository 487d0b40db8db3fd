package filesink

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/subscriber"
	"github.com/logbus/logbus/topic"
)

// The positions file keeps, per publisher stream and topic, the last
// sequence number the sink has written, and the last message it wrote
// whole of the link it reads (the broker's archive; package origin). A sink that crashes loses what it
// held in memory and what was on its way to it; started again with its
// positions (Sink.Positions as subscriber.Options.Resume), it sees those
// streams continue past a hole and reports the loss as gaps, instead of
// treating every stream as joined late and losing silently.
//
// The file is rewritten after writes that left nothing waiting in memory:
// after every such write while it is small (up to about a hundred
// streams), else as often as keeps its cost to a twentieth of the time
// (up to once a second for 100k streams); when input goes quiet as soon
// as that is due, and at a stop. It can lag the files by that interval: a
// crash then reports as missing some records that did reach the files
// (with a small file, only those of a write a kill -9 caught between the
// log write and the save). It never runs ahead of them, so a lost record
// is never left unreported.
//
// It is rewritten in place with one write from offset 0, its header
// giving the length and a CRC-32 of what follows; what lies beyond that
// length (the end of longer, older contents) is ignored, and the file is
// truncated only when that tail grows large. A process killed at any
// point leaves the old or the new contents readable, and a file cut short
// is recognised. Replacing the file by rename would be atomic as well, but
// ext4 then writes the new file out at once, which cost milliseconds per
// save under load.
//
// It is not fsynced, like log records below the fsync level: the promise
// holds for crashes of the sink, not for losing power.

const (
	positionsMagic = "logbus-positions 2"
	// positionsShare bounds the time spent saving: a save that took d
	// waits positionsShare*d (at least positionsMinGap) before the next.
	// A file of a few streams is then saved after nearly every write, so
	// it lags the files by little; 100k streams cost a few percent of a
	// core and lag by up to a second.
	positionsShare  = 20
	positionsMinGap = 100 * time.Microsecond
	// positionsSmall is the largest file saved after every write,
	// whatever it costs (about a hundred streams): one small pwrite.
	positionsSmall = 8 << 10
	// maxPositions bounds the streams remembered, like the subscriber's
	// MaxStreams default; the half written least recently are forgotten
	// when a new stream would pass it.
	maxPositions = 100000
)

// positions tracks what the sink has buffered for writing, in a
// subscriber.Positions (the one owner of stream positions). The record
// being tracked (cur) changes only when the stream or topic changes, so
// the table is touched once per run of records, not per record.
type positions struct {
	path      string // "" : disabled
	f         *os.File
	size      int // the file's length, once opened
	pos       *subscriber.Positions
	cur       topic.Topic
	curStream uint64
	curSeq    uint64
	curFrame  []byte // cur's wire form, the table's key
	has       bool
	dirty     bool
	lastSave  time.Time
	every     time.Duration // wait between saves: positionsShare times their cost
	writeCost time.Duration // smoothed duration of the file write
	failed    bool          // the last save failed (reported once per episode)
	loaded    []subscriber.Position

	// The link the sink reads (package origin): where it stood after
	// the last message it added whole, saved as a line
	// "L <link> <seq> <unnumbered>".
	linkDone, linkLoaded subscriber.LinkPosition
}

// setLink notes the link position after a message added whole.
func (p *positions) setLink(l subscriber.LinkPosition, ok bool) {
	if p.path == "" || !ok || l == p.linkDone {
		return
	}
	p.linkDone = l
	p.dirty = true
}

func (p *positions) note(t topic.Topic, env *logbus.Envelope) {
	if p.path == "" || env.Stream == 0 || env.Seq == 0 {
		return
	}
	p.dirty = true
	if p.has && env.Stream == p.curStream && t == p.cur {
		p.curSeq = max(p.curSeq, env.Seq)
		return
	}
	p.settle()
	p.cur, p.curStream, p.curSeq, p.has = t, env.Stream, env.Seq, true
}

// settle moves the tracked run into the table.
func (p *positions) settle() {
	if !p.has {
		return
	}
	p.curFrame = p.cur.AppendTo(p.curFrame[:0])
	p.pos.Advance(p.curStream, p.curFrame, p.curSeq)
	p.has = false
}

// save writes the file if anything changed and it is due (or force).
func (p *positions) save(now time.Time, force bool) error {
	if p.path == "" || !p.dirty || !force && now.Sub(p.lastSave) < p.every {
		return nil
	}
	p.settle()
	var body bytes.Buffer
	for q := range p.pos.All() {
		fmt.Fprintf(&body, "%016x %d %s\n", q.Stream, q.Seq, q.Topic)
	}
	if l := p.linkDone; l.Link != 0 {
		fmt.Fprintf(&body, "L %016x %d %d\n", l.Link, l.Seq, l.Unnumbered)
	}
	out := fmt.Appendf(nil, "%s len=%d crc=%08x\n", positionsMagic, body.Len(), crc32.ChecksumIEEE(body.Bytes()))
	out = append(out, body.Bytes()...)
	if p.f == nil {
		f, err := os.OpenFile(p.path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("filesink: positions: %w", err)
		}
		st, err := f.Stat()
		if err != nil {
			return errors.Join(fmt.Errorf("filesink: positions: %w", err), f.Close())
		}
		p.f, p.size = f, int(st.Size())
	}
	start := time.Now()
	if _, err := p.f.WriteAt(out, 0); err != nil {
		return fmt.Errorf("filesink: positions: %w", err)
	}
	// The header gives the length, so what lies beyond it is ignored: the
	// file is cut only when it would otherwise stay over twice as long as
	// its contents, which keeps the common save to one write.
	if p.size > 2*len(out) {
		if err := p.f.Truncate(int64(len(out))); err != nil {
			return fmt.Errorf("filesink: positions: %w", err)
		}
		p.size = len(out)
	}
	p.size = max(p.size, len(out))
	p.dirty, p.lastSave = false, now
	p.every = max(positionsMinGap, positionsShare*p.cost(len(out), time.Since(start)))
	if len(out) <= positionsSmall {
		// A few streams: saved after every write, so that a kill -9
		// finds the file behind the logs by at most the one write in
		// progress, and its gaps count only what was really lost.
		p.every = 0
	}
	return nil
}

// cost estimates what a save of n bytes costs: the time to format it
// (about 0.5 µs per stream line) and the write just measured, which
// follows a sustained slowdown but not a one-off pause (the goroutine
// descheduled): a single slow write would otherwise space saves out, and
// the file would lag the logs by that much.
func (p *positions) cost(n int, write time.Duration) time.Duration {
	switch {
	case p.writeCost == 0 || write < p.writeCost:
		p.writeCost = write
	default:
		p.writeCost += (write - p.writeCost) / 8
	}
	return p.writeCost + time.Duration(n/40)*time.Microsecond/2
}

// dueIn returns how long until a pending save is due, at most limit.
func (p *positions) dueIn(now time.Time, limit time.Duration) time.Duration {
	if p.path == "" || !p.dirty {
		return limit
	}
	return min(limit, max(time.Millisecond, p.lastSave.Add(p.every).Sub(now)))
}

// close closes the file, if open.
func (p *positions) close() error {
	if p.f == nil {
		return nil
	}
	err := p.f.Close()
	p.f = nil
	if err != nil {
		return fmt.Errorf("filesink: positions: %w", err)
	}
	return nil
}

// load reads the file left by an earlier run. A missing file is a first
// start; lines that do not parse are skipped and counted in bad. A file
// that is not a positions file (zeros or garbage after a hard reset,
// another program's file) is moved aside, never overwritten: moved names
// where it went, and the sink starts as without one. One whose contents
// do not match its header (cut short by a full disk) is reported in bad
// and not resumed from.
func (p *positions) load() (bad int, moved string, err error) {
	p.pos = subscriber.NewPositions(maxPositions)
	if p.path == "" {
		return 0, "", nil
	}
	b, err := os.ReadFile(p.path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("filesink: positions: %w", err)
	}
	head, body, _ := bytes.Cut(b, []byte("\n"))
	var n int
	var sum uint32
	if len(b) > 0 && !bytes.HasPrefix(head, []byte(positionsMagic+" ")) {
		aside := fmt.Sprintf("%s.damaged-%d", p.path, time.Now().UnixNano())
		if err := os.Rename(p.path, aside); err != nil {
			return 0, "", fmt.Errorf("filesink: positions: %s is not a positions file, and cannot be moved aside: %w", p.path, err)
		}
		return 0, aside, nil
	}
	// A stop between the write and the truncation leaves the end of
	// longer old contents after the new: the header says where to stop.
	if _, err := fmt.Sscanf(string(head), positionsMagic+" len=%d crc=%x", &n, &sum); err != nil ||
		n > len(body) || crc32.ChecksumIEEE(body[:n]) != sum {
		return 1, "", nil
	}
	body = body[:n]
	var ps []subscriber.Position
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" {
			continue
		}
		if l, ok := parseLink(line); ok {
			p.linkLoaded = l
			continue
		}
		q, ok := parsePosition(line)
		if !ok || len(ps) >= maxPositions {
			bad++
			continue
		}
		ps = append(ps, q)
	}
	p.pos.Seed(ps) // a stream written twice: the higher number stands
	for q := range p.pos.All() {
		p.loaded = append(p.loaded, q)
	}
	return bad, "", nil
}

// parseLink reads an "L <link> <seq> <unnumbered>" line.
func parseLink(line string) (subscriber.LinkPosition, bool) {
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != "L" {
		return subscriber.LinkPosition{}, false
	}
	id, err1 := strconv.ParseUint(f[1], 16, 64)
	seq, err2 := strconv.ParseUint(f[2], 10, 64)
	un, err3 := strconv.ParseUint(f[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || id == 0 || seq == 0 {
		return subscriber.LinkPosition{}, false
	}
	return subscriber.LinkPosition{Link: id, Seq: seq, Unnumbered: un}, true
}

func parsePosition(line string) (subscriber.Position, bool) {
	f := bytes.Fields([]byte(line))
	if len(f) != 3 {
		return subscriber.Position{}, false
	}
	stream, err1 := strconv.ParseUint(string(f[0]), 16, 64)
	seq, err2 := strconv.ParseUint(string(f[1]), 10, 64)
	t, err3 := topic.Parse(f[2])
	if err1 != nil || err2 != nil || err3 != nil || stream == 0 || seq == 0 {
		return subscriber.Position{}, false
	}
	return subscriber.Position{Stream: stream, Topic: t.String(), Seq: seq}, true
}

// positionsPath resolves the configured name under root ("-": none).
func positionsPath(root, name string) string {
	if name == "-" {
		return ""
	}
	return filepath.Join(root, name)
}
