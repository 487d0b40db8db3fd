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
	extras := [...]stringMember{
		{"equipment", r.Equipment}, {"project_short_id", r.Run.Project},
		{"run_kind", r.Run.Kind}, {"run_id", r.Run.ID},
	}
	n := 0
	for _, f := range extras {
		if f.v != "" {
			n++
		}
	}
	switch {
	case n == 0 && len(r.Attrs) > 0:
		dst = append(dst, `,"context":`...)
		dst = jsonvalue.AppendValue(dst, logbus.GroupValue(r.Attrs...))
	case n > 0:
		// The envelope's fields follow the attributes in the same object,
		// written in place: r's attribute slice is not appended to.
		dst = append(dst, `,"context":`...)
		dst = jsonvalue.AppendObject(dst, r.Attrs)
		dst = dst[:len(dst)-1] // reopen it
		dst, _ = appendStringMembers(dst, len(r.Attrs) > 0, extras[:])
		dst = append(dst, '}')
	}
	return append(dst, '}', '\n')
}

// stringMember is a JSON object member with a string value.
type stringMember struct{ k, v string }

// appendStringMembers appends the members whose value is not empty, a
// comma before each when sep (a member precedes) or after the first; it
// reports whether one precedes now.
func appendStringMembers(dst []byte, sep bool, members []stringMember) ([]byte, bool) {
	for _, f := range members {
		if f.v == "" {
			continue
		}
		if sep {
			dst = append(dst, ',')
		}
		sep = true
		dst = jsonvalue.AppendString(dst, f.k)
		dst = append(dst, ':')
		dst = jsonvalue.AppendString(dst, f.v)
	}
	return dst, sep
}
