package publisher

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/codec"
	"github.com/logbus/logbus/topic"
)

// MaxRelayLine bounds one relayed line (1 MiB): a line within it is
// parsed whole, so a worker's long ERROR line keeps its level, equipment
// and context. A longer line is cut at the bound (on a UTF-8 boundary)
// and published as one INFO record whose message is the line's head (a
// cut JSON object cannot be parsed) ending with a "…[truncated N bytes]"
// marker, the number of bytes cut in the attribute
// "logbus.truncated_bytes"; the rest of the line is skipped. Cutting
// keeps one record per line, which a split into several records would
// not.
const MaxRelayLine = 1 << 20

// MaxRelayMessage bounds a relayed record's message (64 KiB): a longer
// one is cut like a long line (marker and "logbus.truncated_bytes"),
// everything else of the record kept.
const MaxRelayMessage = 64 << 10

// RelayQuietPeriod is how long Relay waits for the next line of a
// traceback or panic dump before it publishes what it has (250 ms). A
// line that does not belong to the dump ends it at once, so only the
// dump itself waits.
const RelayQuietPeriod = 250 * time.Millisecond

// Relay reads a child process's stderr (or any stream of JSON lines) and
// publishes one record per line, until EOF, a read error or ctx's end
// (which is noticed between lines: close r to stop a blocked read).
//
// Each line may be a worker line ({"level","message","context"}, see
// WorkerHandler), a logbook record as logbook's to_dict writes it, a
// logbus record, or any JSON object; the worker line's context is merged into the
// record. A line that is not a JSON object becomes an INFO record with
// the line as its message: nothing is lost. Invalid UTF-8 becomes U+FFFD.
// A last line without a newline (a child that died mid-line) is still
// published. attrs are added to every record (the child's name, say); an
// integer attribute "pid" becomes the records' pid instead. Records the
// publisher's queue cannot take are counted like any other drop.
//
// A Python traceback or a Go panic dump becomes one ERROR record: its
// message is the exception line (the last of a chain) or the panic
// line, Error holds the whole text, and the attribute "logbus.traceback"
// says "python" or "go". The shapes, bounds and the quiet period that
// ends a dump are described at MaxRelayTrace and RelayQuietPeriod.
//
// The equipment and run ctx carries (WithEquipment, WithRun; what
// `logbus run --equipment` sets) go into every record that does not name
// its own. A UTF-8 byte-order mark before the first line (Windows tools
// write one) is skipped.
//
// Relay returns nil at EOF.
func (p *Publisher) Relay(ctx context.Context, r io.Reader, attrs ...slog.Attr) error {
	var pid int64
	var extra []slog.Attr
	for _, a := range attrs {
		if a.Key == "pid" && a.Value.Kind() == slog.KindInt64 {
			pid = a.Value.Int64()
			continue
		}
		extra = append(extra, a)
	}
	var d codec.Decoder
	rec := new(logbus.Record)
	publish := func(at time.Time) {
		applyRun(ctx, &rec.Envelope)
		for _, a := range extra {
			addSlogAttr(rec, a)
		}
		if pid != 0 {
			rec.PID = pid
		}
		if rec.Time.IsZero() {
			rec.Time = at
		}
		p.submit(ctx, (*recordPayload)(rec), 0)
	}

	// The reader hands over one line at a time (the line aliases its
	// buffer until the next request), so the loop below can wait for a
	// line and for a dump's quiet period at once.
	reads := make(chan relayRead)
	more := make(chan struct{})
	stop := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		readLines(r, reads, more, stop)
	}()
	defer func() {
		close(stop)
		<-readerDone
	}()

	var j traceJoiner
	var jAt, heldAt time.Time
	quiet := time.NewTimer(RelayQuietPeriod)
	quiet.Stop()
	defer quiet.Stop()
	// flush publishes what waits: a dump (with the logging line held for
	// it), or a held logging line alone.
	flush := func() {
		switch {
		case j.active():
			j.flush(rec)
			boundMessage(rec, 0)
			publish(jAt)
		case j.held != nil:
			*rec = *j.takeHeld()
			publish(heldAt)
		}
	}
	for {
		// ctx's end comes first: a select picks among ready cases at random.
		if err := ctx.Err(); err != nil {
			flush()
			return err
		}
		select {
		case <-ctx.Done():
			flush()
			return ctx.Err()
		case <-quiet.C:
			flush()
			continue
		case rd := <-reads:
			now := time.Now()
			if j.active() && (rd.cut > 0 || !j.add(rd.line, now)) {
				flush()
			}
			if j.held != nil && !j.active() && (rd.cut > 0 || !bytes.Equal(rd.line, pyTraceback)) {
				flush() // the held logging line has no traceback after it
			}
			switch {
			case j.active(): // the line joined the dump
			case rd.cut == 0 && j.start(rd.line, now):
				jAt = now
				if j.held != nil {
					jAt = heldAt
				}
			case len(rd.line) > 0 || rd.cut > 0:
				if relayLine(&d, rec, rd.line, rd.cut) && rec.Level >= logbus.LevelError {
					// logger.exception's line: a traceback may follow.
					j.hold(rec)
					heldAt = now
				} else {
					publish(now)
				}
			}
			if j.active() || j.held != nil {
				quiet.Reset(RelayQuietPeriod)
			} else {
				quiet.Stop()
			}
			switch {
			case errors.Is(rd.err, io.EOF):
				flush()
				return nil
			case rd.err != nil:
				flush()
				return fmt.Errorf("publisher: relay: %w", rd.err)
			}
			more <- struct{}{}
		}
	}
}

// relayRead is one line Relay's reader hands over.
type relayRead struct {
	line []byte
	cut  int
	err  error
}

// readLines reads r line by line into reads, waiting on more after each
// line, until a read error or stop.
func readLines(r io.Reader, reads chan<- relayRead, more, stop <-chan struct{}) {
	br := bufio.NewReaderSize(r, MaxRelayLine)
	for first := true; ; first = false {
		line, cut, err := readLine(br)
		if first {
			line = bytes.TrimPrefix(line, []byte("\uFEFF"))
		}
		select {
		case reads <- relayRead{line, cut, err}:
		case <-stop:
			return
		}
		if err != nil {
			return
		}
		select {
		case <-more:
		case <-stop:
			return
		}
	}
}

// readLine returns the next line without its end, cut to MaxRelayLine,
// and how many bytes were cut. The line aliases br's buffer.
func readLine(br *bufio.Reader) (line []byte, cut int, err error) {
	line, err = br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// Keep the head (copied: the buffer is reused) and skip the rest.
		head := bytes.Clone(line)
		for errors.Is(err, bufio.ErrBufferFull) {
			var more []byte
			more, err = br.ReadSlice('\n')
			cut += len(more)
			if err == nil {
				cut-- // the newline is not content
			}
		}
		// Do not leave half a UTF-8 sequence at the cut.
		for i := 1; i <= utf8.UTFMax && i <= len(head); i++ {
			c := head[len(head)-i]
			if c < utf8.RuneSelf {
				break
			}
			if utf8.RuneStart(c) {
				if !utf8.FullRune(head[len(head)-i:]) {
					cut += i
					head = head[:len(head)-i]
				}
				break
			}
		}
		line = head
	} else if err == nil {
		line = line[:len(line)-1]
	}
	line = bytes.TrimRight(line, "\r")
	return line, cut, err
}

// truncUTF8 returns s cut to at most n bytes, not inside a UTF-8 sequence.
func truncUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// relayLine decodes one line into rec, reporting whether it was a line
// of logging.basicConfig's default format (see loggingLine).
func relayLine(d *codec.Decoder, rec *logbus.Record, line []byte, cut int) (logging bool) {
	if cut == 0 && len(line) > 0 && line[0] == '{' {
		if _, err := d.DecodeRecord(topic.JSON, line, rec); err == nil {
			boundMessage(rec, 0)
			return false
		}
	}
	rec.Reset()
	if logging = cut == 0 && loggingLine(line, rec); !logging {
		rec.Level = logbus.LevelInfo
		rec.Message = validUTF8(line)
	}
	boundMessage(rec, cut)
	return logging
}

// boundMessage cuts rec's message to MaxRelayMessage and marks what was
// cut from it, with cut more bytes already cut from the line.
func boundMessage(rec *logbus.Record, cut int) {
	if len(rec.Message) > MaxRelayMessage {
		head := truncUTF8(rec.Message, MaxRelayMessage)
		cut += len(rec.Message) - len(head)
		rec.Message = head
	}
	if cut > 0 {
		rec.Message += fmt.Sprintf(" …[truncated %d bytes]", cut)
		rec.Attrs = append(rec.Attrs, logbus.Attr{Key: "logbus.truncated_bytes", Value: logbus.IntValue(int64(cut))})
	}
}
