package logbus

import "testing"

func TestParseLevel(t *testing.T) {
	for _, name := range []string{"TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "CRITICAL", "ERROR+2", "TRACE+3", "TRACE-9", "INFO+1", "CRITICAL+40"} {
		l, ok := ParseLevel(name)
		if !ok || l.String() != name {
			t.Errorf("ParseLevel(%q) = %v %v", name, l, ok)
		}
	}
	for alias, want := range map[string]Level{"warning": LevelWarn, "fatal": LevelCritical, "Err": LevelError, "DEBUG-1": LevelDebug - 1} {
		if l, ok := ParseLevel(alias); !ok || l != want {
			t.Errorf("ParseLevel(%q) = %v %v, want %v", alias, l, ok, want)
		}
	}
	for _, bad := range []string{"LOUD", "", "INFO+", "ERROR+99999999999"} {
		if l, ok := ParseLevel(bad); ok {
			t.Errorf("ParseLevel(%q) = %v", bad, l)
		}
	}
}
