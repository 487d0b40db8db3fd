package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/codec"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/zmtp"
)

// runTail runs `logbus tail` against a PUB stand-in, publishing msgs
// (after a join probe) until tail has printed want lines.
func runTail(t *testing.T, args []string, msgs [][][]byte, want int) string {
	t.Helper()
	pub, err := zmtp.NewSocket(zmtp.PUB, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pub.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := pub.Bind("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	var out, errb testsupport.LockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- tailCommand(append([]string{"--connect", pub.Endpoints()[0], "--timeout", "20s"}, args...), &out, &errb)
	}()
	ctx := context.Background()
	probe := logbus.Record{Level: logbus.LevelDebug, Message: "probe"}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "probe") {
		if time.Now().After(deadline) {
			t.Fatalf("tail printed nothing; stderr %s", errb.String())
		}
		if err := pub.Send(ctx, zmtp.Msg{[]byte("TLM"), codec.AppendRecordMsgpack(nil, &probe)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, m := range msgs {
		if err := pub.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("tail did not exit")
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.Contains(l, "probe") && !strings.HasPrefix(l, "    ") {
			lines = append(lines, l)
		}
	}
	if len(lines) < want {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), want, out.String())
	}
	return strings.Join(lines, "\n")
}

func rec(stream, seq uint64, level logbus.Level, equipment, msg string) []byte {
	r := logbus.Record{Envelope: logbus.Envelope{Stream: stream, Seq: seq, Equipment: equipment, Host: "lab-7",
		Time: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}, Level: level, Message: msg}
	return codec.AppendRecordMsgpack(nil, &r)
}

func TestTailText(t *testing.T) {
	// --timeout ends the run; --count is high enough never to.
	out := runTail(t, []string{"--count", "100", "--system", "T", "--level", "DEBUG", "--timeout", "3s"}, [][][]byte{
		{[]byte("TLM"), rec(9, 1, logbus.LevelError, "scope-3", "boom\ntraceback line")},
		{[]byte("PLM"), rec(9, 1, logbus.LevelError, "scope-3", "other system")},
		{[]byte("TLM"), rec(9, 4, logbus.LevelWarn, "scope-3", "after gap")},
		{[]byte("TLM"), {0xc1}},
	}, 4)
	for _, want := range []string{
		"2026-11-22T10:00:00.000Z ERROR [sys:T] [host:lab-7] [equip:scope-3] boom",
		"GAP stream=0000000000000009 topic=TLM host=lab-7 pid=0 missing=2 after=1",
		"WARN [sys:T] [host:lab-7] [equip:scope-3] after gap",
		"DECODE-ERROR topic=TLM codec: malformed msgpack",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "other system") || strings.Contains(out, "\x1b[") {
		t.Errorf("filter or colour wrong:\n%s", out)
	}
}

func TestTailJSON(t *testing.T) {
	out := runTail(t, []string{"--format", "json", "--timeout", "3s"}, [][][]byte{
		{[]byte("TLM"), rec(5, 1, logbus.LevelInfo, "a", "one")},
		{[]byte("TLM"), rec(5, 3, logbus.LevelInfo, "a", "three")},
	}, 3)
	var gap bool
	for _, l := range strings.Split(out, "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		if attrs, ok := m["attrs"].(map[string]any); ok && attrs["event"] == "gap" && attrs["missing"] == 1.0 {
			gap = true
		}
	}
	if !gap {
		t.Errorf("no gap object in:\n%s", out)
	}
}

func TestTailUsage(t *testing.T) {
	for _, args := range [][]string{{"--system", "X"}, {"--kind", "Q"}, {"--level", "LOUD"}, {"--format", "xml"}, {"--color", "pink"}} {
		var out, errb bytes.Buffer
		if code := dispatch(append([]string{"tail"}, args...), &out, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("tail %q: exit %d, %q", args, code, errb.String())
		}
	}
}
