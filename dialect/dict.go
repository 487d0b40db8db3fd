package dialect

import (
	"time"

	"github.com/logbus/logbus"
)

// readDict reads a dictionary of no known dialect: a JSON line from
// another structured logger (Go's slog.JSONHandler, zap, logrus,
// structlog, python-json-logger, bunyan). The field names they share
// fill the record, the first of each kind that holds a usable value:
//
//	message  "msg", "message", "event" (structlog)        a string
//	level    "level", "levelname", "severity"             a level name (logbus.ParseLevel)
//	time     "time", "timestamp", "ts", "@timestamp"      Unix seconds, or RFC 3339 text
//	logger   "logger", "logger_name"                      a string
//	error    "error", "exception", "exc_info", "stacktrace" a string
//
// Everything else, and a field whose value does not fit (a numeric
// level such as bunyan's 30, a second "message"), stays an attribute,
// in order; the lab wizard's names fill the envelope as everywhere. A
// dictionary without a level is INFO.
func readDict(attrs []logbus.Attr, r *logbus.Record) {
	r.Level = logbus.LevelInfo
	var haveMsg, haveLevel, haveTime, haveLogger, haveErr bool
	for _, a := range attrs {
		v := a.Value
		s, isStr := v.Str(), v.Kind() == logbus.KindString
		switch a.Key {
		case "msg", "message", "event":
			if isStr && !haveMsg {
				r.Message, haveMsg = s, true
				continue
			}
		case "level", "levelname", "severity":
			if l, ok := logbus.ParseLevel(s); isStr && ok && !haveLevel {
				r.Level, haveLevel = l, true
				continue
			}
		case "time", "timestamp", "ts", "@timestamp":
			if !haveTime {
				if v.Kind() == logbus.KindTime { // a pickled datetime
					r.Time, haveTime = v.Time(), true
					continue
				}
				if t, ok := epochTime(v); ok {
					r.Time, haveTime = t, true
					continue
				}
				if isStr {
					if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
						r.Time, haveTime = logbus.ClampTime(t), true
						continue
					}
				}
			}
		case "logger", "logger_name":
			if isStr && !haveLogger {
				r.Logger, haveLogger = s, true
				continue
			}
		case "error", "exception", "exc_info", "stacktrace":
			if isStr && !haveErr {
				r.Error, haveErr = s, true
				continue
			}
		}
		r.AddAttr(a)
	}
}
