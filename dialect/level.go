package dialect

import "github.com/logbus/logbus"

// LevelFromPython maps a Python stdlib logging number (DEBUG 10, INFO 20,
// WARNING 30, ERROR 40, CRITICAL 50) onto the slog scale linearly, so
// custom levels such as 25 or 5 keep their order: 25 becomes INFO+2.
func LevelFromPython(n int64) logbus.Level {
	if n > 1000 {
		n = 1000
	} else if n < -1000 {
		n = -1000
	}
	return logbus.Level((n - 20) * 2 / 5)
}

// LevelFromLogbook maps logbook's numbers: TRACE 9, DEBUG 10, INFO 11,
// NOTICE 12, WARNING 13, ERROR 14, CRITICAL 15 (NOTSET 0 is INFO).
func LevelFromLogbook(n int64) logbus.Level {
	switch {
	case n <= 0:
		return logbus.LevelInfo
	case n <= 9:
		return logbus.LevelTrace
	case n == 10:
		return logbus.LevelDebug
	case n == 11:
		return logbus.LevelInfo
	case n == 12:
		return logbus.LevelNotice
	case n == 13:
		return logbus.LevelWarn
	case n == 14:
		return logbus.LevelError
	default:
		return logbus.LevelCritical
	}
}
