package codec

import (
	"strconv"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/jsonvalue"
)

// Field names shared by both encodings; docs/wire.md is the reference.
const (
	keySchema    = "logbus"
	keyTime      = "time"
	keyLevel     = "level"
	keyMessage   = "msg"
	keyLogger    = "logger"
	keyHost      = "host"
	keyPID       = "pid"
	keyEquipment = "equipment"
	keySystem    = "system"
	keyRun       = "run"
	keyProject   = "project"
	keyRunKind   = "kind"
	keyRunID     = "id"
	keyError     = "error"
	keySource    = "source"
	keyFile      = "file"
	keyLine      = "line"
	keyFunc      = "func"
	keyStream    = "stream"
	keySeq       = "seq"
	keyAttrs     = "attrs"
	keyName      = "name"
	keyValue     = "value"
	keyUnit      = "unit"

	schemaVersion = 1
)

// AppendRecordJSON appends r as one JSON object (no newline).
func AppendRecordJSON(dst []byte, r *logbus.Record) []byte {
	dst = append(dst, `{"`+keySchema+`":`...)
	dst = strconv.AppendInt(dst, schemaVersion, 10)
	dst = appendEnvelopeTimeJSON(dst, &r.Envelope)
	dst = append(dst, `,"`+keyLevel+`":`...)
	dst = jsonvalue.AppendString(dst, r.Level.String())
	dst = appendJSONField(dst, keyMessage, r.Message, true)
	dst = appendJSONField(dst, keyLogger, r.Logger, false)
	dst = appendEnvelopeJSON(dst, &r.Envelope)
	dst = appendJSONField(dst, keyError, r.Error, false)
	if r.Source != (logbus.Source{}) {
		dst = append(dst, `,"`+keySource+`":{"`+keyFile+`":`...)
		dst = jsonvalue.AppendString(dst, r.Source.File)
		dst = append(dst, `,"`+keyLine+`":`...)
		dst = strconv.AppendInt(dst, r.Source.Line, 10)
		dst = append(dst, `,"`+keyFunc+`":`...)
		dst = jsonvalue.AppendString(dst, r.Source.Function)
		dst = append(dst, '}')
	}
	dst = appendAttrsJSON(dst, r.Attrs)
	return append(dst, '}')
}

// AppendSampleJSON appends s as one JSON object (no newline).
func AppendSampleJSON(dst []byte, s *logbus.Sample) []byte {
	dst = append(dst, `{"`+keySchema+`":`...)
	dst = strconv.AppendInt(dst, schemaVersion, 10)
	dst = appendEnvelopeTimeJSON(dst, &s.Envelope)
	dst = appendJSONField(dst, keyName, s.Name, true)
	dst = append(dst, `,"`+keyValue+`":`...)
	dst = jsonvalue.AppendValue(dst, logbus.FloatValue(s.Value))
	dst = appendJSONField(dst, keyUnit, s.Unit, false)
	dst = appendEnvelopeJSON(dst, &s.Envelope)
	dst = appendAttrsJSON(dst, s.Attrs)
	return append(dst, '}')
}

func appendEnvelopeTimeJSON(dst []byte, e *logbus.Envelope) []byte {
	if e.Time.IsZero() {
		return dst
	}
	dst = append(dst, `,"`+keyTime+`":"`...)
	dst = e.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

func appendEnvelopeJSON(dst []byte, e *logbus.Envelope) []byte {
	dst = appendJSONField(dst, keyHost, e.Host, false)
	if e.PID != 0 {
		dst = append(dst, `,"`+keyPID+`":`...)
		dst = strconv.AppendInt(dst, e.PID, 10)
	}
	dst = appendJSONField(dst, keyEquipment, e.Equipment, false)
	if e.System.Valid() {
		dst = append(dst, `,"`+keySystem+`":"`...)
		dst = append(dst, byte(e.System), '"')
	}
	if e.Run != (logbus.Run{}) {
		dst = append(dst, `,"`+keyRun+`":{"`+keyProject+`":`...)
		dst = jsonvalue.AppendString(dst, e.Run.Project)
		dst = append(dst, `,"`+keyRunKind+`":`...)
		dst = jsonvalue.AppendString(dst, e.Run.Kind)
		dst = append(dst, `,"`+keyRunID+`":`...)
		dst = jsonvalue.AppendString(dst, e.Run.ID)
		dst = append(dst, '}')
	}
	if e.Stream != 0 || e.Seq != 0 {
		dst = append(dst, `,"`+keyStream+`":`...)
		dst = strconv.AppendUint(dst, e.Stream, 10)
		dst = append(dst, `,"`+keySeq+`":`...)
		dst = strconv.AppendUint(dst, e.Seq, 10)
	}
	return dst
}

func appendAttrsJSON(dst []byte, attrs []logbus.Attr) []byte {
	if len(attrs) == 0 {
		return dst
	}
	dst = append(dst, `,"`+keyAttrs+`":`...)
	return jsonvalue.AppendObject(dst, attrs)
}

func appendJSONField(dst []byte, key, val string, always bool) []byte {
	if val == "" && !always {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return jsonvalue.AppendString(dst, val)
}
