package publisher

import (
	"bytes"
	"fmt"
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
//	KeyError: 'x'                            ← first unindented line: the exception
//	                                         ← a blank line and a chain marker
//	During handling of the above exception, another exception occurred:
//
//	Traceback (most recent call last):       ← the next traceback of the chain
//	…
//	ValueError: bad                          ← the record's message
//
// Exception groups (Python 3.11) print every line indented under
// "  + Exception Group Traceback (most recent call last):"; their message
// is the group's "| ExceptionGroup: …" line.
//
// Go (a panic or a fatal error, as the runtime prints it before exit 2):
//
//	panic: boom                              ← the record's message
//	[signal SIGSEGV: …]                      ← lines up to a blank line
//
//	goroutine 1 [running]:                   ← stack blocks, each ended by
//	main.main()                                 a blank line
//		/src/main.go:5 +0x25
//	exit status 2                            ← what `go run` adds
//
// A group ends at the first line that does not fit its shape (that line
// is then relayed as usual, so nothing is delayed behind it), at EOF, or
// after RelayQuietPeriod without a line. The record's Error holds the
// whole text, bounded by MaxRelayTrace bytes and MaxRelayTraceLines lines;
// lines beyond are counted ("logbus.truncated_bytes", a marker at the
// end of Error) and dropped.

const (
	// MaxRelayTrace bounds the text of one joined traceback or panic
	// dump (64 KiB); the panicking goroutine and the innermost Python
	// frames come first or last, and a Python chain's last exception is
	// always kept as the message.
	MaxRelayTrace = 64 << 10
	// MaxRelayTraceLines bounds its lines (1000).
	MaxRelayTraceLines = 1000
)

type traceShape uint8

const (
	shapeNone traceShape = iota
	shapePython
	shapeGo
)

type traceState uint8

const (
	pyStack  traceState = iota // inside "Traceback …": indented lines
	pyExc                      // after the exception line
	pyBlank                    // a blank line after it: a chain marker may follow
	pyMarker                   // after a chain marker: the next Traceback follows
	goHead                     // after "panic:": message lines, [signal …], nested panics
	goBlank                    // between blocks
	goStack                    // inside "goroutine N […]:" or "runtime stack:"
)

var (
	pyTraceback = []byte("Traceback (most recent call last):")
	pyGroup     = []byte("+ Exception Group Traceback (most recent call last):")
	pyDuring    = []byte("During handling of the above exception, another exception occurred:")
	pyCause     = []byte("The above exception was the direct cause of the following exception:")
)

// traceJoiner collects one multi-line traceback or panic dump. The zero
// value is idle. It is pure: Relay feeds it lines and the clock.
type traceJoiner struct {
	shape    traceShape
	state    traceState
	group    bool   // a Python exception group: every line indented
	text     []byte // the joined lines, at most MaxRelayTrace bytes
	lines    int
	message  string
	cutBytes int // dropped beyond the bounds
	cutLines int
}

// active reports whether a group is being collected.
func (j *traceJoiner) active() bool { return j.shape != shapeNone }

// start begins a group when line opens one, reporting whether it did.
func (j *traceJoiner) start(line []byte) bool {
	switch {
	case bytes.Equal(line, pyTraceback):
		j.shape, j.state, j.group = shapePython, pyStack, false
	case bytes.Equal(bytes.TrimLeft(line, " "), pyGroup):
		j.shape, j.state, j.group = shapePython, pyStack, true
	case bytes.HasPrefix(line, []byte("panic: ")) || bytes.HasPrefix(line, []byte("fatal error: ")):
		j.shape, j.state = shapeGo, goHead
		j.message = validUTF8(line)
	default:
		return false
	}
	j.append(line)
	return true
}

// add offers the next line to an active group. It reports false when the
// line does not belong to it: the group is complete, and the caller
// flushes it and relays the line on its own.
func (j *traceJoiner) add(line []byte) bool {
	indented := len(line) > 0 && (line[0] == ' ' || line[0] == '\t')
	empty := len(bytes.TrimSpace(line)) == 0
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
		case j.group:
			return false
		default:
			j.message = validUTF8(line)
			j.state = pyExc
		}
	case pyExc, pyBlank:
		switch {
		case empty:
			j.state = pyBlank
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
	case goHead, goStack:
		switch {
		case empty:
			j.state = goBlank
		case line[0] == '{':
			return false // a JSON line: another writer, not the dump
		}
	case goBlank:
		switch {
		case empty:
		case bytes.HasPrefix(line, []byte("goroutine ")) || bytes.Equal(line, []byte("runtime stack:")):
			j.state = goStack
		case bytes.HasPrefix(line, []byte("exit status ")):
			j.state = goStack // go run's last word; nothing else follows
		default:
			return false
		}
	}
	if !empty {
		j.append(line)
	} else if j.lines < MaxRelayTraceLines && len(j.text) < MaxRelayTrace {
		j.text = append(j.text, '\n') // blank lines separate chain links and goroutines
	}
	return true
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

func (j *traceJoiner) append(line []byte) {
	if j.lines >= MaxRelayTraceLines || len(j.text)+len(line)+1 > MaxRelayTrace {
		j.cutLines++
		j.cutBytes += len(line) + 1
		return
	}
	if len(j.text) > 0 {
		j.text = append(j.text, '\n')
	}
	j.text = append(j.text, line...)
	j.lines++
}

// flush writes the group into rec as one ERROR record and makes j idle.
func (j *traceJoiner) flush(rec *logbus.Record) {
	rec.Reset()
	rec.Level = logbus.LevelError
	msg := j.message
	if msg == "" { // a traceback cut off before its exception line
		msg = validUTF8(j.text[:bytes.IndexByte(append(j.text, '\n'), '\n')])
	}
	rec.Message = msg
	text := bytes.TrimRight(j.text, "\n")
	rec.Error = validUTF8(text)
	if j.cutLines > 0 {
		rec.Error += fmt.Sprintf("\n…[truncated %d lines, %d bytes]", j.cutLines, j.cutBytes)
		rec.Attrs = append(rec.Attrs, logbus.Attr{Key: "logbus.truncated_bytes", Value: logbus.IntValue(int64(j.cutBytes))})
	}
	kind := "python"
	if j.shape == shapeGo {
		kind = "go"
	}
	rec.Attrs = append(rec.Attrs, logbus.Attr{Key: "logbus.traceback", Value: logbus.StringValue(kind)})
	text = j.text[:0]
	*j = traceJoiner{text: text}
}

func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}
