package dialect

import (
	"strconv"
	"strings"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/jsonvalue"
)

// AppendLogbookJSON appends r as the JSON object logbook's
// LogRecord.to_dict(json_safe=True) gives, the single frame logbook's
// ZeroMQHandler sends, so that an unchanged logbook ZeroMQSubscriber
// (LogRecord.from_dict) reads it:
//
//	{"channel":"lab.stage","level":13,"msg":"motor hot","args":[],"kwargs":{},
//	 "message":"motor hot","time":"2026-11-29T12:00:00.000000Z","process":4242,
//	 "filename":"…","lineno":3,"func_name":"…","formatted_exception":null,
//	 "extra":{"hostname":"lab-7","equipment_id":"scope-3",…},
//	 "frame_correction":0,"heavy_initialized":true,"information_pulled":true, …}
//
// Levels map onto logbook's numbers (TRACE 9 … CRITICAL 15, the inverse
// of LevelFromLogbook). msg is the formatted message with its braces
// doubled, so that logbook formatting it again (str.format with no
// arguments) gives it back. The host, equipment and run travel in extra
// under the lab wizard's names (hostname, equipment_id,
// project_short_id, run_kind, run_id), then the attributes; values JSON
// lacks are tagged as in codec's JSON. A zero time is written as the
// Unix epoch (logbook requires one).
func AppendLogbookJSON(dst []byte, r *logbus.Record) []byte {
	dst = append(dst, `{"channel":`...)
	dst = jsonvalue.AppendString(dst, r.Logger)
	dst = append(dst, `,"level":`...)
	dst = strconv.AppendInt(dst, int64(LevelToLogbook(r.Level)), 10)
	dst = append(dst, `,"msg":`...)
	dst = jsonvalue.AppendString(dst, strings.NewReplacer("{", "{{", "}", "}}").Replace(r.Message))
	dst = append(dst, `,"args":[],"kwargs":{},"message":`...)
	dst = jsonvalue.AppendString(dst, r.Message)
	dst = append(dst, `,"time":"`...)
	dst = r.Time.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z")
	dst = append(dst, `","process":`...)
	if r.PID != 0 {
		dst = strconv.AppendInt(dst, r.PID, 10)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"filename":`...)
	dst = nullOrString(dst, r.Source.File)
	dst = append(dst, `,"lineno":`...)
	if r.Source.Line != 0 {
		dst = strconv.AppendInt(dst, r.Source.Line, 10)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"func_name":`...)
	dst = nullOrString(dst, r.Source.Function)
	dst = append(dst, `,"formatted_exception":`...)
	dst = nullOrString(dst, r.Error)
	dst = append(dst, `,"extra":{`...)
	dst, sep := appendStringMembers(dst, false, []stringMember{
		{"hostname", r.Host}, {"equipment_id", r.Equipment}, {"project_short_id", r.Run.Project},
		{"run_kind", r.Run.Kind}, {"run_id", r.Run.ID},
	})
	if len(r.Attrs) > 0 {
		if sep {
			dst = append(dst, ',')
		}
		// The attributes' object, without its braces, in place.
		p := len(dst)
		dst = jsonvalue.AppendObject(dst, r.Attrs)
		dst = append(dst[:p], dst[p+1:len(dst)-1]...)
	}
	dst = append(dst, `},"frame_correction":0,"heavy_initialized":true,"information_pulled":true,`+
		`"module":null,"exception_name":null,"exception_message":null,"thread":null,"thread_name":null,`+
		`"process_name":null,"greenlet":null}`...)
	return dst
}

func nullOrString(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return jsonvalue.AppendString(dst, s)
}

// LevelToLogbook maps a level onto logbook's numbers (TRACE 9, DEBUG 10,
// INFO 11, NOTICE 12, WARNING 13, ERROR 14, CRITICAL 15): each of
// logbook's levels takes logbus's levels from it up to the next.
func LevelToLogbook(l logbus.Level) int {
	switch {
	case l < logbus.LevelDebug:
		return 9
	case l < logbus.LevelInfo:
		return 10
	case l < logbus.LevelNotice:
		return 11
	case l < logbus.LevelWarn:
		return 12
	case l < logbus.LevelError:
		return 13
	case l < logbus.LevelCritical:
		return 14
	}
	return 15
}
