package dialect

import (
	"strings"
	"time"

	"github.com/logbus/logbus"
)

// logbookDropped are logbook to_dict fields with no place in a Record.
var logbookDropped = map[string]bool{
	"args": true, "kwargs": true, "thread": true, "thread_name": true, "process_name": true,
	"greenlet": true, "frame_correction": true, "heavy_initialized": true, "information_pulled": true,
	"module": true, "exception_name": true, "exception_message": true,
}

// readLogbook reads LogRecord.to_dict() as logbook's ZeroMQHandler sends
// it, extras under "extra".
func readLogbook(attrs []logbus.Attr, r *logbus.Record) {
	var msg, excName, excMessage logbus.Value
	var haveMessage bool
	r.Level = logbus.LevelInfo
	for _, a := range attrs {
		v := a.Value
		switch a.Key {
		case "channel":
			r.Logger = textOf(v)
		case "msg":
			msg = v
		case "message":
			if v.Kind() == logbus.KindString {
				r.Message, haveMessage = v.Str(), true
			}
		case "level":
			if n, ok := v.AsInt64(); ok {
				r.Level = LevelFromLogbook(n)
			} else if l, ok := logbus.ParseLevel(textOf(v)); ok {
				r.Level = l
			}
		case "time":
			if t, ok := logbookTime(textOf(v)); ok {
				r.Time = t
			}
		case "process":
			r.PID, _ = v.AsInt64()
		case "filename":
			r.Source.File = textOf(v)
		case "lineno":
			r.Source.Line, _ = v.AsInt64()
		case "func_name":
			r.Source.Function = textOf(v)
		case "formatted_exception":
			if v.Kind() != logbus.KindNull {
				r.Error = textOf(v)
			}
		case "exception_name":
			excName = v
		case "exception_message":
			excMessage = v
		case "extra":
			if v.Kind() == logbus.KindGroup {
				for _, e := range v.Group() {
					r.AddAttr(e)
				}
			} else if v.Kind() != logbus.KindNull {
				r.AddAttr(a)
			}
		default:
			if !logbookDropped[a.Key] {
				r.AddAttr(a)
			}
		}
	}
	if !haveMessage && msg.Kind() != logbus.KindNull {
		r.Message = textOf(msg)
	}
	if r.Error == "" && excName.Kind() == logbus.KindString {
		r.Error = excName.Str()
		if excMessage.Kind() == logbus.KindString {
			r.Error += ": " + excMessage.Str()
		}
	}
}

// logbookTime reads logbook's to_dict time, "2024-01-02T03:04:05.5123Z".
// logbook writes the microseconds as an unpadded integer, so ".5123" is
// 5123 µs, not 0.5123 s (logbook's own from_dict gets this wrong). A
// fraction of seven or more digits, or any other layout, is read as
// RFC 3339.
func logbookTime(s string) (time.Time, bool) {
	const layout = "2006-01-02T15:04:05"
	if len(s) >= len(layout)+1 && s[len(s)-1] == 'Z' {
		base, frac, hasFrac := strings.Cut(s[:len(s)-1], ".")
		if t, err := time.Parse(layout, base); err == nil {
			if !hasFrac {
				return logbus.ClampTime(t), true
			}
			if us, ok := digitsValue(frac); ok && len(frac) <= 6 {
				return logbus.ClampTime(t.Add(time.Duration(us) * time.Microsecond)), true
			}
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return logbus.ClampTime(t), true
}

func digitsValue(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
