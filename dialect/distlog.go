package dialect

import "github.com/logbus/logbus"

// distlogDropped are LogRecord fields with no place in a Record and no
// value for a reader once the record is formatted.
var distlogDropped = map[string]bool{
	"args": true, "levelname": true, "msecs": true, "relativeCreated": true, "asctime": true,
	"exc_info": true, "filename": true, "module": true, "thread": true, "threadName": true,
	"processName": true, "taskName": true,
}

// readDistlog reads logging.LogRecord.__dict__ as distlog's ZmqHandler
// sends it: the record's attributes at the top level with its extras,
// "hostname" and "context" added.
func readDistlog(attrs []logbus.Attr, r *logbus.Record) {
	var msg logbus.Value
	var haveLevelno, haveMessage bool
	var stack string
	r.Level = logbus.LevelInfo
	for _, a := range attrs {
		v := a.Value
		switch a.Key {
		case "name":
			r.Logger = textOf(v)
		case "msg":
			msg = v
		case "message":
			if v.Kind() == logbus.KindString {
				r.Message, haveMessage = v.Str(), true
			}
		case "levelno":
			if n, ok := v.AsInt64(); ok {
				r.Level, haveLevelno = LevelFromPython(n), true
			}
		case "levelname":
			if l, ok := logbus.ParseLevel(textOf(v)); ok && !haveLevelno {
				r.Level = l
			}
		case "created":
			if t, ok := epochTime(v); ok {
				r.Time = t
			}
		case "pathname":
			r.Source.File = textOf(v)
		case "lineno":
			r.Source.Line, _ = v.AsInt64()
		case "funcName":
			r.Source.Function = textOf(v)
		case "process":
			r.PID, _ = v.AsInt64()
		case "exc_text":
			if v.Kind() != logbus.KindNull {
				r.Error = textOf(v)
			}
		case "stack_info":
			if v.Kind() != logbus.KindNull {
				stack = textOf(v)
			}
		case "context":
			if v.Kind() != logbus.KindNull {
				r.Attrs = append(r.Attrs, a)
			}
		default:
			if !distlogDropped[a.Key] {
				r.AddAttr(a)
			}
		}
	}
	if !haveMessage && msg.Kind() != logbus.KindNull {
		r.Message = textOf(msg)
	}
	if stack != "" {
		if r.Error != "" {
			r.Error += "\n"
		}
		r.Error += stack
	}
}
