package publisher

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
)

func relayFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/relay/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// relayN relays input and returns the n records it must give, then
// checks no more arrive within a short wait.
func relayN(t *testing.T, input string, n int) []logbus.Record {
	t.Helper()
	pl, ep := startPull(t, "")
	p := newPublisher(t, ep, nil)
	if err := p.Relay(context.Background(), strings.NewReader(input)); err != nil {
		t.Fatal(err)
	}
	recs := pl.records(n, 10*time.Second)
	if extra := pl.poll(100 * time.Millisecond); len(extra) > 0 {
		t.Errorf("%d records more than %d, first %q", len(extra), n, extra[0].Message)
	}
	return recs
}

// TestRelayJoinsTracebacks (issue input: a crashing Python worker's
// traceback on stderr, chained and grouped, and a Go panic dump, as the
// runtimes printed them): each is one ERROR record whose message is the
// exception (the chain's last) or panic line and whose Error is the whole
// text; the lines around them stay records of their own.
func TestRelayJoinsTracebacks(t *testing.T) {
	chain, group, panicDump := relayFile(t, "python_chain.txt"), relayFile(t, "python_group.txt"), relayFile(t, "go_panic.txt")
	input := `{"level":"INFO","message":"before"}` + "\n" +
		chain +
		group +
		"plain after the group\n" +
		panicDump +
		"\n" + `{"level":"WARN","message":"after the panic"}` + "\n"
	recs := relayN(t, input, 6)
	want := []struct {
		level     logbus.Level
		message   string
		error     string
		traceback string
	}{
		{logbus.LevelInfo, "before", "", ""},
		{logbus.LevelError, "RuntimeError: motor controller crashed", strings.TrimRight(chain, "\n"), "python"},
		{logbus.LevelError, "ExceptionGroup: two motors failed (2 sub-exceptions)", strings.TrimRight(group, "\n"), "python"},
		{logbus.LevelInfo, "plain after the group", "", ""},
		{logbus.LevelError, "panic: runtime error: invalid memory address or nil pointer dereference", strings.TrimRight(panicDump, "\n"), "go"},
		{logbus.LevelWarn, "after the panic", "", ""},
	}
	for i, w := range want {
		r := recs[i]
		if r.Level != w.level || r.Message != w.message || r.Error != w.error {
			t.Errorf("record %d: %v %q\nerror %q\nwant %v %q\nerror %q", i, r.Level, r.Message, r.Error, w.level, w.message, w.error)
		}
		if v, _ := r.Attr("logbus.traceback"); v.Str() != w.traceback {
			t.Errorf("record %d: logbus.traceback %q, want %q", i, v.Str(), w.traceback)
		}
		if r.Time.IsZero() {
			t.Errorf("record %d has no time", i)
		}
	}
}

// TestRelayTracebackShapes: the edges of the shapes (CRLF ends, a
// traceback cut off before its exception line, a stack line that is
// not indented, a fatal error with its runtime stack, go run's exit
// status line).
func TestRelayTracebackShapes(t *testing.T) {
	cases := []struct {
		name, input string
		messages    []string // per record; "!" prefix: an ERROR record
	}{
		{"crlf", "Traceback (most recent call last):\r\n  File \"a.py\", line 1, in <module>\r\nOSError: disk\r\n2026-11-29 12:00:00,001 next\r\n",
			[]string{"!OSError: disk", "2026-11-29 12:00:00,001 next"}},
		{"multi-line message and a note", "Traceback (most recent call last):\n  File \"a.py\", line 1, in <module>\n" +
			"ValueError: calibration table invalid:\n  row 3: NaN\nsecond line not indented\nwhile loading stage.yaml\n" +
			"INFO:lab:next record\n",
			[]string{"!ValueError: calibration table invalid:", "next record"}},
		{"a syntax error in the main script", "  File \"/src/x.py\", line 1\n    def (\n        ^\nSyntaxError: invalid syntax\n",
			[]string{"!SyntaxError: invalid syntax"}},
		{"exception ignored", "Exception ignored in: <function Motor.__del__ at 0x7f>\nTraceback (most recent call last):\n  File \"m.py\", line 3, in __del__\nOSError: port closed\n",
			[]string{"!OSError: port closed"}},
		{"json inside a stack", "Traceback (most recent call last):\n  File \"a.py\", line 1\n{\"level\":\"INFO\",\"message\":\"other thread\"}\n",
			[]string{"!Traceback (most recent call last):", "other thread"}},
		{"panic then ordinary lines", "panic: pump pressure low, retrying\nstep 1 ok\nstep 2 ok\n",
			[]string{"!panic: pump pressure low, retrying", "step 1 ok", "step 2 ok"}},
		{"go signal dump", "SIGQUIT: quit\nPC=0x46b1c1 m=0 sigcode=0\n\ngoroutine 0 gp=0x5 m=0 mp=0x6 [idle]:\nruntime.futex(0x5, 0x80)\n\t/go/src/runtime/sys.s:557 +0x21\n",
			[]string{"!SIGQUIT: quit"}},
		{"faulthandler", "Fatal Python error: Segmentation fault\n\nCurrent thread 0x00007f (most recent call first):\n  File \"x.py\", line 3 in crash\n\nExtension modules: numpy.core (total: 1)\n",
			[]string{"!Fatal Python error: Segmentation fault"}},
		{"cut off", "Traceback (most recent call last):\n  File \"a.py\", line 1, in <module>\n",
			[]string{"!Traceback (most recent call last):"}},
		{"blank inside the stack", "Traceback (most recent call last):\n\nValueError: x\n",
			[]string{"!Traceback (most recent call last):", "ValueError: x"}},
		{"exception then json", "Traceback (most recent call last):\n  File \"a.py\"\nValueError: x\n{\"message\":\"m\"}\n",
			[]string{"!ValueError: x", "m"}},
		{"blank then other text", "Traceback (most recent call last):\n  File \"a.py\"\nValueError: x\n\nsomething else\n",
			[]string{"!ValueError: x", "something else"}},
		{"fatal error", "fatal error: concurrent map writes\n\nruntime stack:\nruntime.throw()\n\t/x.go:1\n\ngoroutine 7 [running]:\nmain.f()\n\t/m.go:3\nexit status 2\n",
			[]string{"!fatal error: concurrent map writes"}},
		{"panic then json", "panic: boom\n{\"message\":\"other writer\"}\n",
			[]string{"!panic: boom", "other writer"}},
		{"panic then text after a block", "panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\nnot go\n",
			[]string{"!panic: boom", "not go"}},
		{"two tracebacks", "Traceback (most recent call last):\n  x\nA: 1\nTraceback (most recent call last):\n  y\nB: 2\n",
			[]string{"!A: 1", "!B: 2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs := relayN(t, c.input, len(c.messages))
			for i, m := range c.messages {
				level := logbus.LevelInfo
				if strings.HasPrefix(m, "!") {
					level, m = logbus.LevelError, m[1:]
				}
				if recs[i].Level != level || recs[i].Message != m {
					t.Errorf("record %d: %v %q, want %v %q", i, recs[i].Level, recs[i].Message, level, m)
				}
				if strings.Contains(recs[i].Error, "\r") {
					t.Errorf("record %d: CR kept in %q", i, recs[i].Error)
				}
			}
		})
	}
}

// TestRelayTracebackBounded: a dump beyond MaxRelayTraceLines lines is
// one record holding its first and last lines, with what was cut between
// counted; the line after it is relayed whole.
func TestRelayTracebackBounded(t *testing.T) {
	lines := []string{"panic: deep", "", "goroutine 1 [running]:"}
	const frames = 3000
	for i := range frames {
		lines = append(lines, fmt.Sprintf("main.f%d()", i))
	}
	total := 0
	for _, l := range lines {
		total += len(l) + 1
	}
	input := strings.Join(lines, "\n") + "\n\n{\"level\":\"ERROR\",\"message\":\"survivor\"}\n"
	recs := relayN(t, input, 2)
	r := recs[0]
	if r.Message != "panic: deep" || r.Level != logbus.LevelError {
		t.Fatalf("record %v %q", r.Level, r.Message)
	}
	kept := strings.Split(r.Error, "\n")
	if len(kept) > MaxRelayTraceLines+1 || !strings.HasPrefix(r.Error, "panic: deep\n\ngoroutine 1 [running]:\nmain.f0()\n") ||
		!strings.HasSuffix(r.Error, "\nmain.f2999()") {
		t.Errorf("%d lines kept, from %q to %q", len(kept), kept[0], kept[len(kept)-1])
	}
	keptBytes := 0
	marker := 0
	for _, l := range kept {
		if strings.HasPrefix(l, "…[") {
			marker++
			continue
		}
		keptBytes += len(l) + 1
	}
	if v, _ := r.Attr("logbus.truncated_bytes"); marker != 1 || v.Int64() != int64(total-keptBytes) {
		t.Errorf("truncated_bytes %v, want %d (total %d, kept %d), %d markers", v, total-keptBytes, total, keptBytes, marker)
	}
	if recs[1].Message != "survivor" {
		t.Errorf("next record %q", recs[1].Message)
	}
}

// TestRelayTracebackQuietPeriod: a traceback whose writer goes quiet
// (the pipe stays open) is published after RelayQuietPeriod, not held
// until the next line or EOF.
func TestRelayTracebackQuietPeriod(t *testing.T) {
	pl, ep := startPull(t, "")
	p := newPublisher(t, ep, nil)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- p.Relay(context.Background(), pr) }()
	if _, err := io.WriteString(pw, "Traceback (most recent call last):\n  File \"a.py\"\nKeyError: 'x'\n"); err != nil {
		t.Fatal(err)
	}
	recs := pl.records(1, 10*time.Second) // fails unless the quiet period ended the group
	if recs[0].Message != "KeyError: 'x'" || recs[0].Level != logbus.LevelError {
		t.Errorf("record %v %q", recs[0].Level, recs[0].Message)
	}
	// A logging ERROR line waits for a traceback only as long.
	if _, err := io.WriteString(pw, "ERROR:lab:alone\n"); err != nil {
		t.Fatal(err)
	}
	if r := pl.records(1, 10*time.Second)[0]; r.Message != "alone" || r.Level != logbus.LevelError || r.Error != "" {
		t.Errorf("held line %v %q %q", r.Level, r.Message, r.Error)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestRelayBasicConfig (a Python program with logging.basicConfig(), the
// most common set-up, under `logbus run`): its lines keep their level and
// logger, and logger.exception's line and traceback are one ERROR record
// with the program's own message.
func TestRelayBasicConfig(t *testing.T) {
	recs := relayN(t, relayFile(t, "python_basicconfig.txt"), 3)
	want := []struct {
		level           logbus.Level
		logger, message string
	}{
		{logbus.LevelWarn, "stage", "motor hot 71.5"},
		{logbus.LevelError, "stage", "division failed while computing offset"},
		{logbus.LevelError, "stage", "after the exception"},
	}
	for i, w := range want {
		if r := recs[i]; r.Level != w.level || r.Logger != w.logger || r.Message != w.message {
			t.Errorf("record %d: %v %q %q, want %v %q %q", i, r.Level, r.Logger, r.Message, w.level, w.logger, w.message)
		}
	}
	r := recs[1]
	if v, _ := r.Attr("exception"); v.Str() != "ZeroDivisionError: division by zero" ||
		!strings.HasPrefix(r.Error, "Traceback (most recent call last):") || recs[2].Error != "" {
		t.Errorf("exception record: exception=%v error %q; next error %q", v, r.Error, recs[2].Error)
	}
}
