package dialect

import (
	"strconv"

	"github.com/logbus/logbus"
)

// Shape names a payload's origin.
type Shape uint8

// The shapes a JSON or pickle payload can have.
const (
	Logbus     Shape = iota // logbus's own record or sample (a "logbus" key: codec's schema)
	Distlog                 // distlog: logging.LogRecord.__dict__
	Logbook                 // logbook: LogRecord.to_dict()
	Dict                    // any other dictionary
	WorkerLine              // a worker subprocess's stderr line: {"level","message","context"}
)

func (s Shape) String() string {
	names := [...]string{"logbus", "distlog", "logbook", "dict", "worker line"}
	if int(s) < len(names) {
		return names[s]
	}
	return "shape(" + strconv.Itoa(int(s)) + ")"
}

// Detect names the shape of a decoded dictionary from its keys alone:
// "logbus" marks logbus's own schema; "levelno", or "msg" with
// "created", distlog's; "channel" with "level" logbook's; "level" with
// "message" a worker line; anything else is a Dict.
func Detect(attrs []logbus.Attr) Shape {
	var msg, levelno, created, channel, level, message bool
	for i := range attrs {
		switch attrs[i].Key {
		case "logbus":
			return Logbus
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
		return Distlog
	case channel && level:
		return Logbook
	case level && message:
		return WorkerLine
	}
	return Dict
}

// Read fills r (which it does not reset) from a dictionary of the given
// shape, as Detect named it. The fields a shape defines become the
// record's own (for a Dict, the names structured loggers share: see
// readDict); the lab wizard's extras fill the envelope
// (logbus.Envelope.TakeAttr); everything else stays an attribute, in
// order. Read never fails: a field of an unexpected type is kept as an
// attribute. Shape Logbus is codec's to read and is treated as Dict.
func Read(shape Shape, attrs []logbus.Attr, r *logbus.Record) {
	switch shape {
	case Distlog:
		readDistlog(attrs, r)
	case Logbook:
		readLogbook(attrs, r)
	case WorkerLine:
		readWorkerLine(attrs, r)
	default:
		readDict(attrs, r)
	}
}
