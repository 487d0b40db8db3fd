package codec

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Python clients send their own dictionaries, not logbus records. Two
// shapes are known: distlog sends logging.LogRecord.__dict__ (with its
// extras at the top level, "hostname" and "context" added), logbook sends
// LogRecord.to_dict() (extras under "extra"). Anything else that is a
// dictionary becomes a record whose attributes are its keys.

// distlogDropped are LogRecord fields with no place in a Record and no
// value for a reader once the record is formatted.
var distlogDropped = map[string]bool{
	"args": true, "levelname": true, "msecs": true, "relativeCreated": true, "asctime": true,
	"exc_info": true, "filename": true, "module": true, "thread": true, "threadName": true,
	"processName": true, "taskName": true,
}

// logbookDropped are logbook to_dict fields with no place in a Record.
var logbookDropped = map[string]bool{
	"args": true, "kwargs": true, "thread": true, "thread_name": true, "process_name": true,
	"greenlet": true, "frame_correction": true, "heavy_initialized": true, "information_pulled": true,
	"module": true, "exception_name": true, "exception_message": true,
}

// Shape names a payload's origin.
type Shape uint8

// The shapes a JSON or pickle payload can have.
const (
	ShapeLogbus  Shape = iota // logbus's own record or sample
	ShapeDistlog              // distlog: logging.LogRecord.__dict__
	ShapeLogbook              // logbook: LogRecord.to_dict()
	ShapeDict                 // any other dictionary
	ShapeFrame                // a worker's stderr frame: {"level","message","context"}
)

func (s Shape) String() string {
	names := [...]string{"logbus", "distlog", "logbook", "dict", "frame"}
	if int(s) < len(names) {
		return names[s]
	}
	return "shape(" + strconv.Itoa(int(s)) + ")"
}

func shapeOf(attrs []Attr) Shape {
	var msg, levelno, created, channel, level, message bool
	for _, a := range attrs {
		switch a.Key {
		case keySchema:
			return ShapeLogbus
		case "msg":
			msg = true
		case "levelno":
			levelno = true
		case "created":
			created = true
		case "channel":
			channel = true
		case "level":
			level = true
		case "message":
			message = true
		}
	}
	switch {
	case levelno || msg && created:
		return ShapeDistlog
	case channel && level:
		return ShapeLogbook
	case level && message:
		return ShapeFrame
	}
	return ShapeDict
}

// recordFromPython fills r from a Python dictionary of the given shape.
func recordFromPython(shape Shape, attrs []Attr, r *Record) {
	switch shape {
	case ShapeDistlog:
		fromDistlog(attrs, r)
	case ShapeLogbook:
		fromLogbook(attrs, r)
	case ShapeFrame:
		fromFrame(attrs, r)
	default:
		r.Level = LevelInfo
		for _, a := range attrs {
			r.addExtra(a)
		}
	}
}

func fromDistlog(attrs []Attr, r *Record) {
	var msg Value
	var haveLevelno, haveMessage bool
	var stack string
	r.Level = LevelInfo
	for _, a := range attrs {
		v := a.Value
		switch a.Key {
		case "name":
			r.Logger = textOf(v)
		case "msg":
			msg = v
		case "message":
			if v.kind == KindString {
				r.Message, haveMessage = v.str, true
			}
		case "levelno":
			if n, ok := intOf(v); ok {
				r.Level, haveLevelno = FromPython(n), true
			}
		case "levelname":
			if l, ok := ParseLevel(textOf(v)); ok && !haveLevelno {
				r.Level = l
			}
		case "created":
			if t, ok := epochTime(v); ok {
				r.Time = t
			}
		case "pathname":
			r.Source.File = textOf(v)
		case "lineno":
			r.Source.Line, _ = intOf(v)
		case "funcName":
			r.Source.Function = textOf(v)
		case "process":
			r.PID, _ = intOf(v)
		case "exc_text":
			if v.kind != KindNull {
				r.Error = textOf(v)
			}
		case "stack_info":
			if v.kind != KindNull {
				stack = textOf(v)
			}
		case "context":
			if v.kind != KindNull {
				r.Attrs = append(r.Attrs, a)
			}
		default:
			if !distlogDropped[a.Key] {
				r.addExtra(a)
			}
		}
	}
	if !haveMessage && msg.kind != KindNull {
		r.Message = textOf(msg)
	}
	if stack != "" {
		if r.Error != "" {
			r.Error += "\n"
		}
		r.Error += stack
	}
}

func fromLogbook(attrs []Attr, r *Record) {
	var msg, excName, excMessage Value
	var haveMessage bool
	r.Level = LevelInfo
	for _, a := range attrs {
		v := a.Value
		switch a.Key {
		case "channel":
			r.Logger = textOf(v)
		case "msg":
			msg = v
		case "message":
			if v.kind == KindString {
				r.Message, haveMessage = v.str, true
			}
		case "level":
			if n, ok := intOf(v); ok {
				r.Level = FromLogbook(n)
			} else if l, ok := ParseLevel(textOf(v)); ok {
				r.Level = l
			}
		case "time":
			if t, ok := logbookTime(textOf(v)); ok {
				r.Time = t
			}
		case "process":
			r.PID, _ = intOf(v)
		case "filename":
			r.Source.File = textOf(v)
		case "lineno":
			r.Source.Line, _ = intOf(v)
		case "func_name":
			r.Source.Function = textOf(v)
		case "formatted_exception":
			if v.kind != KindNull {
				r.Error = textOf(v)
			}
		case "exception_name":
			excName = v
		case "exception_message":
			excMessage = v
		case "extra":
			if v.kind == KindGroup {
				for _, e := range v.Group() {
					r.addExtra(e)
				}
			} else if v.kind != KindNull {
				r.addExtra(a)
			}
		default:
			if !logbookDropped[a.Key] {
				r.addExtra(a)
			}
		}
	}
	if !haveMessage && msg.kind != KindNull {
		r.Message = textOf(msg)
	}
	if r.Error == "" && excName.kind == KindString {
		r.Error = excName.str
		if excMessage.kind == KindString {
			r.Error += ": " + excMessage.str
		}
	}
}

// fromFrame reads the line a worker subprocess writes on stderr:
// {"level": "WARNING", "message": "...", "context": {...}}, optionally with
// "time" (RFC 3339 or epoch seconds), "logger" and "error". The context's
// entries become attributes; an unknown level name is INFO.
func fromFrame(attrs []Attr, r *Record) {
	r.Level = LevelInfo
	for _, a := range attrs {
		v := a.Value
		switch a.Key {
		case "level":
			if l, ok := ParseLevel(textOf(v)); ok {
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
			} else if v.kind == KindString {
				if t, err := time.Parse(time.RFC3339Nano, v.str); err == nil {
					r.Time = clampTime(t)
				}
			}
		case "context":
			if v.kind == KindGroup {
				for _, e := range v.Group() {
					r.addExtra(e)
				}
			} else if v.kind != KindNull {
				r.Attrs = append(r.Attrs, a)
			}
		default:
			r.addExtra(a)
		}
	}
}

// addExtra maps the extras Python programs use for the record's own
// fields; everything else stays an attribute.
func (r *Record) addExtra(a Attr) {
	if r.Envelope.takeExtra(a) {
		return
	}
	r.Attrs = append(r.Attrs, a)
}

// takeExtra stores the lab wizard's extras in the envelope: equipment_id
// (or equipment), project_short_id, run_kind, run_id, and hostname. It
// reports false for other keys and for values that are not scalars.
func (e *Envelope) takeExtra(a Attr) bool {
	var dst *string
	switch a.Key {
	case "equipment_id", "equipment":
		dst = &e.Equipment
	case "project_short_id":
		dst = &e.Run.Project
	case "run_kind":
		dst = &e.Run.Kind
	case "run_id":
		dst = &e.Run.ID
	case "hostname":
		dst = &e.Host
	default:
		return false
	}
	switch a.Value.kind {
	case KindString, KindInt, KindUint, KindBigInt:
		*dst = textOf(a.Value)
		return true
	case KindNull:
		return true // None: nothing to record
	}
	return false
}

// textOf renders a value as Python's str() would for the common kinds.
func textOf(v Value) string {
	switch v.kind {
	case KindString:
		return v.str
	case KindNull:
		return ""
	}
	return v.String()
}

func intOf(v Value) (int64, bool) {
	switch v.kind {
	case KindInt:
		return v.Int64(), true
	case KindFloat:
		f := v.Float64()
		if f >= math.MinInt64 && f <= math.MaxInt64 {
			return int64(f), true
		}
	}
	return 0, false
}

// epochTime reads Python's time.time() float, rounded to the microsecond
// as datetime.fromtimestamp does.
func epochTime(v Value) (time.Time, bool) {
	var f float64
	switch v.kind {
	case KindFloat:
		f = v.Float64()
	case KindInt:
		f = float64(v.Int64())
	default:
		return time.Time{}, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 9e9 {
		return time.Time{}, false
	}
	return time.UnixMicro(int64(math.RoundToEven(f * 1e6))).UTC(), true
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
				return clampTime(t), true
			}
			if us, ok := digitsValue(frac); ok && len(frac) <= 6 {
				return clampTime(t.Add(time.Duration(us) * time.Microsecond)), true
			}
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return clampTime(t), true
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
