package dialect

import (
	"time"

	"github.com/logbus/logbus"
)

// readWorkerLine reads the line a worker subprocess writes on stderr:
// {"level": "WARNING", "message": "...", "context": {...}}, optionally with
// "time" (RFC 3339 or epoch seconds; anything else is kept as an
// attribute), "logger" and "error". The context's entries become
// attributes; an unknown level name is INFO.
func readWorkerLine(attrs []logbus.Attr, r *logbus.Record) {
	r.Level = logbus.LevelInfo
	for _, a := range attrs {
		v := a.Value
		switch a.Key {
		case "level":
			if l, ok := logbus.ParseLevel(textOf(v)); ok {
				r.Level = l
			}
		case "message":
			r.Message = textOf(v)
		case "logger":
			r.Logger = textOf(v)
		case "error":
			r.Error = textOf(v)
		case "time":
			if t, ok := epochTime(v); ok {
				r.Time = t
			} else if t, err := time.Parse(time.RFC3339Nano, v.Str()); v.Kind() == logbus.KindString && err == nil {
				r.Time = logbus.ClampTime(t)
			} else {
				r.Attrs = append(r.Attrs, a) // kept as sent; the relay dates the record
			}
		case "context":
			if v.Kind() == logbus.KindGroup {
				for _, e := range v.Group() {
					r.AddAttr(e)
				}
			} else if v.Kind() != logbus.KindNull {
				r.Attrs = append(r.Attrs, a)
			}
		default:
			r.AddAttr(a)
		}
	}
}
