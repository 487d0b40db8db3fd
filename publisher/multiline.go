package publisher

import (
	"bytes"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/logbus/logbus"
)

// Multi-line joining: a worker that crashes writes a Python traceback or
// a Go panic dump on stderr, many lines that are one event. Relay joins
// them into one ERROR record, as log shippers' multi-line parsers do for
// these two languages, by the shapes the two runtimes print:
//
// Python (traceback.print_exception, the default excepthook, logging's
// exc_text):
//
//	Traceback (most recent call last):
//	  File "run.py", line 3, in <module>     ← indented lines: the stack
//	    main()
//	KeyError: 'x'                            ← the exception; more lines right after it
//	                                            (a multi-line message, notes) join it,
//	                                            unless they look like the start of a
//	                                            log line (a date, "ERROR:", JSON)
//	                                         ← a blank line and a chain marker
//	During handling of the above exception, another exception occurred:
//
//	Traceback (most recent call last):       ← the next traceback of the chain
//	…
//	ValueError: bad                          ← the record's message
//
// Also: exception groups (Python 3.11: every line indented under
// "  + Exception Group Traceback (most recent call last):"; the message
// is the group's "| ExceptionGroup: …" line), "Exception ignored in: …"
// before a traceback, a SyntaxError in the main script (no header: it
// starts at `  File "x.py", line 1`), and faulthandler's
// "Fatal Python error: …" dump.
//
// Go (a panic, a fatal error or a fatal signal, as the runtime prints it
// before exit 2):
//
//	panic: boom                              ← the record's message
//	[signal SIGSEGV: …]                      ← runtime lines up to a blank line
//
//	goroutine 1 [running]:                   ← stack blocks, each ended by
//	main.main()                                 a blank line: function lines,
//		/src/main.go:5 +0x25                    tab-indented file lines
//	exit status 2                            ← what `go run` adds
//
// A dump ends at the first line that does not fit its shape (that line is
// then relayed as usual, so nothing is delayed behind it), at EOF, or
// after RelayQuietPeriod without a line. Lines that fit only loosely (the
// continuation of a Python exception message) join only when they come
// within relayBurst of the line before: a runtime writes its dump at
// once, a program's next log line comes later.
//
// A line of the basicConfig format ("ERROR:lab.stage:calibration
// failed", logging's default) is read for its level, logger and message;
// an ERROR or CRITICAL one is held until the next line (at most the quiet
// period), so that logger.exception's line and the traceback after it
// become one record with the program's own message.
//
// The record's Error holds the whole text, bounded by MaxRelayTrace bytes
// and MaxRelayTraceLines lines: past them the first half and the last
// lines are kept (the innermost frames and the exception come last in
// Python), and what was cut between is counted ("logbus.truncated_bytes",
// and a "…[N lines, M bytes cut]…" line).

const (
	// MaxRelayTrace bounds the text of one joined traceback or panic
	// dump (64 KiB).
	MaxRelayTrace = 64 << 10
	// MaxRelayTraceLines bounds its lines (1000).
	MaxRelayTraceLines = 1000
	// relayBurst is how close after the line before a loosely fitting
	// line must come to join a dump.
	relayBurst = 50 * time.Millisecond
)

type traceShape uint8

const (
	shapeNone traceShape = iota
	shapePython
	shapeGo
)

type traceState uint8

const (
	pyStack   traceState = iota // inside "Traceback …": indented lines
	pyExc                       // after the exception line
	pyBlank                     // a blank line after it: a chain marker may follow
	pyMarker                    // after a chain marker or "Exception ignored in": a Traceback follows
	dumpHead                    // after "panic:", "fatal error:", "SIGxxx:", "Fatal Python error:"
	dumpBlank                   // between blocks
	dumpStack                   // inside "goroutine N […]:", "runtime stack:", "Current thread …"
)

var (
	pyTraceback = []byte("Traceback (most recent call last):")
	pyGroup     = []byte("+ Exception Group Traceback (most recent call last):")
	pyDuring    = []byte("During handling of the above exception, another exception occurred:")
	pyCause     = []byte("The above exception was the direct cause of the following exception:")
	pyIgnored   = []byte("Exception ignored in")
	pyFatal     = []byte("Fatal Python error: ")

	// goSignal is the head of a fatal signal's dump (SIGQUIT: quit).
	goSignal = regexp.MustCompile(`^SIG[A-Z]+: `)
	// goFunc is a function line of a goroutine's stack: main.main(),
	// main.(*T).f(0xc000010000, …), runtime.gopark(…).
	goFunc = regexp.MustCompile(`^[^\s(]+\(.*\)$`)
	// pyFile is a stack line of a traceback without its header (a
	// SyntaxError in the main script).
	pyFile = regexp.MustCompile(`^  File "[^"]*", line \d+`)
)

// traceJoiner collects one multi-line traceback or panic dump. The zero
// value is idle. It is pure: Relay feeds it lines and the clock.
type traceJoiner struct {
	shape   traceShape
	state   traceState
	group   bool // a Python exception group: every line indented
	lastAt  time.Time
	message string
	// held: the message, logger and level of a logging line the dump
	// belongs to (logger.exception's), which win over the exception's.
	held      *logbus.Record
	head      []byte // the first lines, up to half the bounds
	headLines int
	tail      [][]byte // the lines after the head, the newest within the other half
	tailBytes int
	cutBytes  int // dropped between head and tail
	cutLines  int
}

// active reports whether a group is being collected.
func (j *traceJoiner) active() bool { return j.shape != shapeNone }

// start begins a group when line opens one, reporting whether it did.
func (j *traceJoiner) start(line []byte, now time.Time) bool {
	trimmed := bytes.TrimLeft(line, " ")
	switch {
	case bytes.Equal(line, pyTraceback):
		j.shape, j.state, j.group = shapePython, pyStack, false
	case bytes.Equal(trimmed, pyGroup):
		j.shape, j.state, j.group = shapePython, pyStack, true
	case bytes.HasPrefix(line, pyIgnored):
		j.shape, j.state = shapePython, pyMarker
		j.message = validUTF8(line)
	case pyFile.Match(line):
		j.shape, j.state, j.group = shapePython, pyStack, false
	case bytes.HasPrefix(line, pyFatal):
		j.shape, j.state = shapePython, dumpHead
		j.message = validUTF8(line)
	case bytes.HasPrefix(line, []byte("panic: ")) || bytes.HasPrefix(line, []byte("fatal error: ")) || goSignal.Match(line):
		j.shape, j.state = shapeGo, dumpHead
		j.message = validUTF8(line)
	default:
		return false
	}
	j.lastAt = now
	j.append(line)
	return true
}

// add offers the next line to an active group. It reports false when the
// line does not belong to it: the group is complete, and the caller
// flushes it and relays the line on its own.
func (j *traceJoiner) add(line []byte, now time.Time) bool {
	indented := len(line) > 0 && (line[0] == ' ' || line[0] == '\t')
	empty := len(bytes.TrimSpace(line)) == 0
	burst := now.Sub(j.lastAt) <= relayBurst
	json := len(line) > 0 && line[0] == '{'
	switch j.state {
	case pyStack:
		switch {
		case indented:
			if j.group && j.message == "" {
				j.groupMessage(line)
			}
		case empty:
			if !j.group {
				return false // a stack has no blank lines
			}
			j.state = pyBlank
		case j.group || json || bytes.Equal(line, pyTraceback):
			return false
		default:
			j.message = validUTF8(line)
			j.state = pyExc
		}
	case pyExc:
		switch {
		case empty:
			j.state = pyBlank
		case bytes.Equal(line, pyDuring) || bytes.Equal(line, pyCause):
			j.state = pyMarker
		case !burst || json || opensDump(line) || newLogLine(line):
			return false
		default:
			// More of the exception: a multi-line message, notes.
		}
	case pyBlank:
		switch {
		case empty:
		case bytes.Equal(line, pyDuring) || bytes.Equal(line, pyCause):
			j.state = pyMarker
		default:
			return false
		}
	case pyMarker:
		switch {
		case empty:
		case bytes.Equal(line, pyTraceback):
			j.state, j.group = pyStack, false
		case bytes.Equal(bytes.TrimLeft(line, " "), pyGroup):
			j.state, j.group = pyStack, true
			j.message = ""
		default:
			return false
		}
	case dumpHead, dumpStack:
		switch {
		case empty:
			j.state = dumpBlank
		case j.runtimeLine(line, indented):
		default:
			return false
		}
	case dumpBlank:
		switch {
		case empty:
		case bytes.HasPrefix(line, []byte("goroutine ")) || bytes.Equal(line, []byte("runtime stack:")) ||
			bytes.HasPrefix(line, []byte("Current thread ")) || bytes.HasPrefix(line, []byte("Thread 0x")) ||
			bytes.HasPrefix(line, []byte("Extension modules:")):
			j.state = dumpStack
		case bytes.HasPrefix(line, []byte("exit status ")):
			j.state = dumpStack // go run's last word; nothing else follows
		default:
			return false
		}
	}
	j.lastAt = now
	if empty {
		line = nil // blank lines separate chain links and goroutines
	}
	j.append(line)
	return true
}

// opensDump reports whether line starts a dump of its own.
func opensDump(line []byte) bool {
	var probe traceJoiner
	return probe.start(line, time.Time{})
}

// logLineStart matches the start of a program's next log line rather
// than more of an exception's text: a date, or a level word and a colon.
var logLineStart = regexp.MustCompile(`^(\[?\d{4}-\d{2}-\d{2}|(DEBUG|INFO|WARN|WARNING|ERROR|CRITICAL|FATAL)[:\] ])`)

// newLogLine reports whether line looks like a program's next log line.
func newLogLine(line []byte) bool {
	var rec logbus.Record
	return logLineStart.Match(line) || loggingLine(line, &rec)
}

// runtimeLine reports whether line fits a runtime's dump: what Go prints
// of goroutines and signals, and faulthandler's thread lines.
func (j *traceJoiner) runtimeLine(line []byte, indented bool) bool {
	switch {
	case indented, goFunc.Match(line):
		return true
	}
	for _, p := range []string{"goroutine ", "created by ", "[signal ", "panic: ", "fatal error: ", "PC=", "runtime stack:",
		"...additional frames elided...", "exit status ", "Current thread ", "Thread 0x", "Extension modules:"} {
		if bytes.HasPrefix(line, []byte(p)) {
			return true
		}
	}
	return false
}

// groupMessage takes an exception group's "| Name: text" line as the
// message (the first one after the header is the group's own).
func (j *traceJoiner) groupMessage(line []byte) {
	t := bytes.TrimLeft(line, " ")
	if !bytes.HasPrefix(t, []byte("| ")) {
		return
	}
	t = t[2:]
	if len(t) == 0 || t[0] == ' ' {
		return // a frame: "|   File …"
	}
	j.message = validUTF8(t)
}

// append adds a line: to the head while it has room (half the bounds),
// then to the tail, dropping the tail's oldest lines beyond the other
// half.
func (j *traceJoiner) append(line []byte) {
	const half, halfLines = MaxRelayTrace / 2, MaxRelayTraceLines / 2
	if j.cutLines == 0 && len(j.tail) == 0 && j.headLines < halfLines && len(j.head)+len(line)+1 <= half {
		if j.headLines > 0 {
			j.head = append(j.head, '\n')
		}
		j.head = append(j.head, line...)
		j.headLines++
		return
	}
	j.tail = append(j.tail, bytes.Clone(line))
	j.tailBytes += len(line) + 1
	for len(j.tail) > 1 && (len(j.tail) > halfLines || j.tailBytes > half) {
		j.cutLines++
		j.cutBytes += len(j.tail[0]) + 1
		j.tailBytes -= len(j.tail[0]) + 1
		j.tail[0] = nil
		j.tail = j.tail[1:]
	}
}

// hold keeps rec (a logging ERROR line) for a dump that may follow.
func (j *traceJoiner) hold(rec *logbus.Record) {
	held := *rec
	held.Attrs = append([]logbus.Attr(nil), rec.Attrs...)
	j.held = &held
}

// takeHeld returns the held record, if any, and forgets it.
func (j *traceJoiner) takeHeld() *logbus.Record {
	h := j.held
	j.held = nil
	return h
}

// flush writes the group into rec as one ERROR record and makes j idle.
// A held logging line (see hold) gives the record its message, logger
// and level.
func (j *traceJoiner) flush(rec *logbus.Record) {
	rec.Reset()
	rec.Level = logbus.LevelError
	msg := j.message
	if msg == "" { // a traceback cut off before its exception line
		first, _, _ := bytes.Cut(j.head, []byte("\n"))
		msg = validUTF8(first)
	}
	if h := j.takeHeld(); h != nil {
		*rec = *h
		if rec.Level < logbus.LevelError {
			rec.Level = logbus.LevelError
		}
		rec.Attrs = append(rec.Attrs, logbus.Attr{Key: "exception", Value: logbus.StringValue(msg)})
		msg = rec.Message
	}
	rec.Message = msg
	text := j.head
	if j.cutLines > 0 {
		text = fmt.Appendf(text, "\n…[%d lines, %d bytes cut]…", j.cutLines, j.cutBytes)
	}
	for _, l := range j.tail {
		text = append(append(text, '\n'), l...)
	}
	rec.Error = validUTF8(bytes.TrimRight(text, "\n"))
	if j.cutLines > 0 {
		rec.Attrs = append(rec.Attrs, logbus.Attr{Key: "logbus.truncated_bytes", Value: logbus.IntValue(int64(j.cutBytes))})
	}
	kind := "python"
	if j.shape == shapeGo {
		kind = "go"
	}
	rec.Attrs = append(rec.Attrs, logbus.Attr{Key: "logbus.traceback", Value: logbus.StringValue(kind)})
	head := j.head[:0]
	*j = traceJoiner{head: head}
}

// loggingLine reads a line in logging.basicConfig's default format,
// "LEVEL:logger:message", into rec (level, logger, message) and reports
// whether it was one.
func loggingLine(line []byte, rec *logbus.Record) bool {
	levelName, rest, ok := bytes.Cut(line, []byte(":"))
	if !ok {
		return false
	}
	var level logbus.Level
	switch string(levelName) {
	case "DEBUG":
		level = logbus.LevelDebug
	case "INFO":
		level = logbus.LevelInfo
	case "WARNING":
		level = logbus.LevelWarn
	case "ERROR":
		level = logbus.LevelError
	case "CRITICAL":
		level = logbus.LevelCritical
	default:
		return false
	}
	logger, msg, ok := bytes.Cut(rest, []byte(":"))
	if !ok || bytes.ContainsAny(logger, " \t") {
		return false
	}
	rec.Level, rec.Logger, rec.Message = level, validUTF8(logger), validUTF8(msg)
	return true
}

func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}
