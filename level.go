package logbus

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
)

// Level is a record's severity on slog's scale: DEBUG -4, INFO 0, WARN 4,
// ERROR 8, with CRITICAL at 12 beyond slog's levels. Values in between
// are allowed and print as "INFO+2" the way slog prints them.
type Level int

// Named levels. Notice and Trace come from logbook.
const (
	LevelTrace    Level = -8
	LevelDebug    Level = Level(slog.LevelDebug)
	LevelInfo     Level = Level(slog.LevelInfo)
	LevelNotice   Level = 2
	LevelWarn     Level = Level(slog.LevelWarn)
	LevelError    Level = Level(slog.LevelError)
	LevelCritical Level = 12
)

// String names the level; levels between the named ones are written
// relative to the nearest lower name, e.g. "ERROR+2".
func (l Level) String() string {
	name := func(base string, val Level) string {
		if l == val {
			return base
		}
		return fmt.Sprintf("%s%+d", base, int(l-val))
	}
	switch {
	case l < LevelDebug:
		return name("TRACE", LevelTrace)
	case l < LevelInfo:
		return name("DEBUG", LevelDebug)
	case l == LevelNotice:
		return "NOTICE"
	case l < LevelWarn:
		return name("INFO", LevelInfo)
	case l < LevelError:
		return name("WARN", LevelWarn)
	case l < LevelCritical:
		return name("ERROR", LevelError)
	default:
		return name("CRITICAL", LevelCritical)
	}
}

// ParseLevel reads a level name: the slog names, Python's (WARNING,
// FATAL, CRITICAL), logbook's (TRACE, NOTICE), any case, optionally with
// an offset ("ERROR+2"). The second result is false for anything else.
func ParseLevel(s string) (Level, bool) {
	s = strings.TrimSpace(s)
	base, off := s, 0
	if i := strings.IndexAny(s, "+-"); i > 0 {
		n, err := strconv.ParseInt(s[i:], 10, 64)
		if err != nil || n < math.MinInt32 || n > math.MaxInt32 {
			return 0, false
		}
		base, off = s[:i], int(n)
	}
	var l Level
	switch strings.ToUpper(base) {
	case "TRACE":
		l = LevelTrace
	case "DEBUG":
		l = LevelDebug
	case "INFO":
		l = LevelInfo
	case "NOTICE":
		l = LevelNotice
	case "WARN", "WARNING":
		l = LevelWarn
	case "ERROR", "ERR":
		l = LevelError
	case "CRITICAL", "FATAL", "CRIT":
		l = LevelCritical
	default:
		return 0, false
	}
	return l + Level(off), true
}

// Slog returns the level as a slog.Level.
func (l Level) Slog() slog.Level { return slog.Level(l) }
