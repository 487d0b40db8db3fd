package dialect

import (
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/jsonvalue"
)

// AppendWorkerLine appends r as one worker line, ending with a newline:
//
//	{"time":"…","level":"WARN","message":"…","logger":"…","context":{…}}
//
// It is what a worker subprocess writes on stderr for its parent to
// relay (publisher.WorkerHandler writes it, Read with WorkerLine reads
// it). The record's attributes, and its equipment and run, travel in
// "context" under the lab wizard's names (equipment, project_short_id,
// run_kind, run_id), which Read lifts back into the envelope; values JSON
// lacks are tagged as in codec's JSON. A zero time is left out.
func AppendWorkerLine(dst []byte, r *logbus.Record) []byte {
	dst = append(dst, '{')
	if !r.Time.IsZero() {
		dst = append(dst, `"time":"`...)
		dst = r.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, `",`...)
	}
	dst = append(dst, `"level":"`...)
	dst = append(dst, r.Level.String()...)
	dst = append(dst, `","message":`...)
	dst = jsonvalue.AppendString(dst, r.Message)
	if r.Logger != "" {
		dst = append(dst, `,"logger":`...)
		dst = jsonvalue.AppendString(dst, r.Logger)
	}
	ctxAttrs := r.Attrs
	for _, f := range [...]struct{ k, v string }{
		{"equipment", r.Equipment}, {"project_short_id", r.Run.Project},
		{"run_kind", r.Run.Kind}, {"run_id", r.Run.ID},
	} {
		if f.v != "" {
			ctxAttrs = append(ctxAttrs, logbus.Attr{Key: f.k, Value: logbus.StringValue(f.v)})
		}
	}
	if len(ctxAttrs) > 0 {
		dst = append(dst, `,"context":`...)
		dst = jsonvalue.AppendValue(dst, logbus.GroupValue(ctxAttrs...))
	}
	return append(dst, '}', '\n')
}
