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
		{"crlf", "Traceback (most recent call last):\r\n  File \"a.py\", line 1, in <module>\r\nOSError: disk\r\nnext\r\n",
			[]string{"!OSError: disk", "next"}},
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
// one record holding the first lines, with what was cut counted; the
// line after it is relayed whole.
func TestRelayTracebackBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("panic: deep\n\ngoroutine 1 [running]:\n")
	cutBytes := 0
	const frames = 3000
	for i := range frames {
		line := fmt.Sprintf("main.f%d()", i)
		b.WriteString(line + "\n")
		if i >= MaxRelayTraceLines-2 { // "panic:" and "goroutine" count, the blank line does not
			cutBytes += len(line) + 1
		}
	}
	b.WriteString("\n{\"level\":\"ERROR\",\"message\":\"survivor\"}\n")
	recs := relayN(t, b.String(), 2)
	r := recs[0]
	if r.Message != "panic: deep" || r.Level != logbus.LevelError {
		t.Fatalf("record %v %q", r.Level, r.Message)
	}
	if got := strings.Count(r.Error, "\n"); got > MaxRelayTraceLines+1 {
		t.Errorf("%d lines kept", got)
	}
	if v, _ := r.Attr("logbus.truncated_bytes"); v.Int64() != int64(cutBytes) {
		t.Errorf("truncated_bytes %v, want %d", v, cutBytes)
	}
	if !strings.HasSuffix(r.Error, fmt.Sprintf("…[truncated %d lines, %d bytes]", frames-(MaxRelayTraceLines-2), cutBytes)) {
		t.Errorf("error ends %q", r.Error[len(r.Error)-60:])
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
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
