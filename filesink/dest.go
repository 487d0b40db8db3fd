package filesink

import (
	"errors"
	"time"
)

// dest is one destination file: the records waiting for it, its open
// handle (if any) and its health.
type dest struct {
	rel  string
	f    handle // nil while closed
	buf  []byte
	ends []int // offset in buf where each buffered record ends
	sync bool  // a buffered record needs fsync

	lastUse   time.Time
	checkedAt time.Time // last check that the path still names f
	prev      *dest     // LRU of open files, most recent at the head
	next      *dest

	pending   bool      // in the sink's pending list
	failUntil time.Time // while failing, records go to the central log
	backoff   time.Duration
	lastErr   error
	// torn: a failed write left part of a record at the end of the file
	// and it could not be cut off: the next write starts a fresh line.
	torn bool
}

// add buffers one whole record.
func (d *dest) add(line []byte, sync bool) {
	d.buf = append(d.buf, line...)
	d.ends = append(d.ends, len(d.buf))
	d.sync = d.sync || sync
}

func (d *dest) reset() {
	d.buf, d.ends, d.sync = d.buf[:0], d.ends[:0], false
	if cap(d.buf) > 2*maxBatch {
		d.buf, d.ends = nil, nil // do not keep more than a batch's memory per file
	}
}

// failing reports whether the destination is in its back-off period.
func (d *dest) failing(now time.Time) bool { return now.Before(d.failUntil) }

// mayFail reports whether the destination ever failed, so that the clock
// is read only for those that did.
func (d *dest) mayFail() bool { return !d.failUntil.IsZero() }

// maxBackoff bounds the wait before a failing destination is tried
// again: once a full disk has room, files resume within it.
const maxBackoff = 5 * time.Second

// fail starts or lengthens the back-off: 1 s doubling to maxBackoff.
func (d *dest) fail(now time.Time, err error) {
	switch {
	case d.backoff == 0:
		d.backoff = time.Second
	case d.backoff < maxBackoff:
		d.backoff = min(2*d.backoff, maxBackoff)
	}
	d.failUntil = now.Add(d.backoff)
	d.lastErr = err
}

func (d *dest) healthy() { d.backoff, d.failUntil, d.lastErr = 0, time.Time{}, nil }

// lru is the list of open destinations.
type lru struct {
	head, tail *dest
	n          int
}

func (l *lru) pushFront(d *dest) {
	d.prev, d.next = nil, l.head
	if l.head != nil {
		l.head.prev = d
	}
	l.head = d
	if l.tail == nil {
		l.tail = d
	}
	l.n++
}

func (l *lru) remove(d *dest) {
	if d.prev != nil {
		d.prev.next = d.next
	} else {
		l.head = d.next
	}
	if d.next != nil {
		d.next.prev = d.prev
	} else {
		l.tail = d.prev
	}
	d.prev, d.next = nil, nil
	l.n--
}

func (l *lru) touch(d *dest) {
	if l.head != d {
		l.remove(d)
		l.pushFront(d)
	}
}

// handle is an open destination file. On Unix it is a bare descriptor:
// a sink that keeps thousands of destinations opens and closes files
// often, and *os.File costs extra system calls and a finalizer each time.
type handle interface {
	Write(b []byte) (int, error) // all of b, or an error
	Sync() error
	Close() error
	Size() (int64, error)
	Truncate(size int64) error
	Offset() (int64, error)
	// Unlinked reports whether the file was deleted while open (no
	// directory names it any more).
	Unlinked() (bool, error)
}

var errClosed = errors.New("filesink: closed")
