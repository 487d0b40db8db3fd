package dialect

import (
	"slices"
	"strings"
	"time"

	"github.com/logbus/logbus"
)

// readDict reads a dictionary of no known dialect: a JSON line from
// another structured logger (Go's slog.JSONHandler, zap, logrus,
// structlog, python-json-logger, bunyan). The field names they share
// fill the record; for each field the first name in this list that holds
// a usable value wins, wherever it stands in the line:
//
//	message  "msg", "message", "event" (structlog)          a string
//	level    "level", "levelname", "severity"               a level name (logbus.ParseLevel, and
//	                                                        zap's and syslog's panic, dpanic, alert,
//	                                                        emerg(ency) as CRITICAL)
//	time     "time", "timestamp", "ts", "@timestamp"        Unix seconds after 1973 (a smaller number
//	                                                        is a duration, not a time), or RFC 3339 text
//	logger   "logger", "logger_name", "name"                a string
//	error    "error", "exception", "exc_info", "stacktrace" a string
//
// Everything else, and a field whose value does not fit (a numeric
// level such as bunyan's 30, a second "message"), stays an attribute,
// in order; the lab wizard's names fill the envelope as everywhere. A
// dictionary without a level is INFO.
func readDict(attrs []logbus.Attr, r *logbus.Record) {
	r.Level = logbus.LevelInfo
	var taken [dictFields]int // per field: 1 + the index of the attribute it came from
	for f, names := range dictNames {
		for _, name := range names {
			i := slices.IndexFunc(attrs, func(a logbus.Attr) bool { return a.Key == name })
			if i >= 0 && takeDictField(dictField(f), attrs[i].Value, r) {
				taken[f] = i + 1
				break
			}
		}
	}
	for i, a := range attrs {
		if !slices.Contains(taken[:], i+1) {
			r.AddAttr(a)
		}
	}
}

type dictField int

const (
	dictMessage dictField = iota
	dictLevel
	dictTime
	dictLogger
	dictError
	dictFields
)

var dictNames = [dictFields][]string{
	dictMessage: {"msg", "message", "event"},
	dictLevel:   {"level", "levelname", "severity"},
	dictTime:    {"time", "timestamp", "ts", "@timestamp"},
	dictLogger:  {"logger", "logger_name", "name"},
	dictError:   {"error", "exception", "exc_info", "stacktrace"},
}

// minEpoch is the smallest number read as Unix seconds (1973-03-03): a
// smaller "time" is an elapsed time.
const minEpoch = 1e8

// takeDictField stores v as field f of r, reporting whether it fit.
func takeDictField(f dictField, v logbus.Value, r *logbus.Record) bool {
	s, isStr := v.Str(), v.Kind() == logbus.KindString
	switch f {
	case dictMessage, dictLogger, dictError:
		if !isStr {
			return false
		}
		switch f {
		case dictMessage:
			r.Message = s
		case dictLogger:
			r.Logger = s
		default:
			r.Error = s
		}
		return true
	case dictLevel:
		if !isStr {
			return false
		}
		if l, ok := logbus.ParseLevel(s); ok {
			r.Level = l
			return true
		}
		switch strings.ToLower(s) {
		case "panic", "dpanic", "alert", "emerg", "emergency":
			r.Level = logbus.LevelCritical
			return true
		}
		return false
	case dictTime:
		if v.Kind() == logbus.KindTime { // a pickled datetime
			r.Time = v.Time()
			return true
		}
		if t, ok := epochTime(v); ok && t.Unix() >= minEpoch {
			r.Time = t
			return true
		}
		if isStr {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				r.Time = logbus.ClampTime(t)
				return true
			}
		}
	}
	return false
}
