package main

import (
	"bytes"
	"testing"

	"github.com/logbus/logbus"
)

func TestSend(t *testing.T) {
	pull, ep := startPull(t)
	var out, errb bytes.Buffer
	code := dispatch([]string{"send", "--endpoint", ep, "--level", "ERROR", "--equipment", "scope-3", "--host", "lab-7",
		"trigger lost", "channel=2", "gain=1.5", "ok=false", "note=two words"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	r := recvRecord(t, pull)
	if r.Level != logbus.LevelError || r.Message != "trigger lost" || r.Host != "lab-7" || r.Equipment != "scope-3" {
		t.Errorf("record %+v", r)
	}
	for k, want := range map[string]logbus.Value{"channel": logbus.IntValue(2), "gain": logbus.FloatValue(1.5), "ok": logbus.BoolValue(false), "note": logbus.StringValue("two words")} {
		if v, _ := r.Attr(k); !v.Equal(want) {
			t.Errorf("%s = %v (%s), want %v", k, v, v.Kind(), want)
		}
	}
}

func TestSendErrors(t *testing.T) {
	for _, args := range [][]string{{"send"}, {"send", "--level", "LOUD", "m"}, {"send", "m", "novalue"}, {"send", "--equipment", "../x", "m"}} {
		var out, errb bytes.Buffer
		if code := dispatch(args, &out, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("%q: exit %d %q", args, code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := dispatch([]string{"send", "--endpoint", "tcp://127.0.0.1:1", "--timeout", "200ms", "nobody listens"}, &out, &errb); code != 1 {
		t.Errorf("undeliverable: exit %d %q", code, errb.String())
	}
}
