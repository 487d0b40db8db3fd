package dialect

import (
	"testing"

	"github.com/logbus/logbus"
)

func TestLevelFromPython(t *testing.T) {
	for _, c := range []struct {
		py   int64
		want logbus.Level
	}{{10, logbus.LevelDebug}, {20, logbus.LevelInfo}, {30, logbus.LevelWarn}, {40, logbus.LevelError}, {50, logbus.LevelCritical}, {25, logbus.LevelInfo + 2}, {5, logbus.LevelDebug - 2}} {
		if got := LevelFromPython(c.py); got != c.want {
			t.Errorf("LevelFromPython(%d) = %v want %v", c.py, got, c.want)
		}
	}
	if LevelFromPython(1<<62) != LevelFromPython(1000) {
		t.Error("a huge Python level is not clamped")
	}
}

func TestLevelFromLogbook(t *testing.T) {
	for n, want := range map[int64]logbus.Level{0: logbus.LevelInfo, 9: logbus.LevelTrace, 10: logbus.LevelDebug, 11: logbus.LevelInfo,
		12: logbus.LevelNotice, 13: logbus.LevelWarn, 14: logbus.LevelError, 15: logbus.LevelCritical, 99: logbus.LevelCritical} {
		if got := LevelFromLogbook(n); got != want {
			t.Errorf("LevelFromLogbook(%d) = %v want %v", n, got, want)
		}
	}
}
