// Package testsupport holds what logbus's tests share: waiting for a
// state with a deadline (WaitFor), a buffer a running command writes to
// (LockedBuffer), free loopback ports (FreeAddr), and records of known
// shape for benchmarks and round trips.
package testsupport

import (
	"math"
	"math/big"
	"time"

	"github.com/logbus/logbus"
)

// TypicalRecord is the benchmark shape: a message and eight attributes.
func TypicalRecord() logbus.Record {
	return logbus.Record{
		Envelope: logbus.Envelope{
			Time: time.Date(2026, 11, 22, 10, 36, 11, 426123456, time.UTC), Host: "lab-7", PID: 4242,
			Equipment: "scope-3", Run: logbus.Run{Project: "p-19", Kind: "calibration", ID: "r-2026-0042"},
			Stream: 0x9e3779b97f4a7c15, Seq: 1234567,
		},
		Level: logbus.LevelWarn, Message: "stage moved beyond soft limit", Logger: "stage.axis",
		Source: logbus.Source{File: "/opt/lab/stage.go", Line: 211, Function: "stage.(*Axis).Move"},
		Attrs: []logbus.Attr{
			{Key: "axis", Value: logbus.StringValue("x")}, {Key: "target_um", Value: logbus.FloatValue(1250.5)}, {Key: "actual_um", Value: logbus.FloatValue(1251.25)},
			{Key: "retries", Value: logbus.IntValue(3)}, {Key: "ok", Value: logbus.BoolValue(false)}, {Key: "operator", Value: logbus.StringValue("alice")},
			{Key: "elapsed", Value: logbus.DurationValue(1500 * time.Millisecond)},
			{Key: "limits", Value: logbus.GroupValue(logbus.Attr{Key: "lo", Value: logbus.IntValue(-5000)}, logbus.Attr{Key: "hi", Value: logbus.IntValue(5000)})},
		},
	}
}

// EdgeRecord holds a value of every kind at the edges of its range: what
// a round trip through every encoding must keep exactly.
func EdgeRecord() logbus.Record {
	big1, _ := new(big.Int).SetString("-1180591620717411303424", 10)
	return logbus.Record{
		Envelope: logbus.Envelope{Time: time.Unix(0, 1).UTC()},
		Level:    logbus.LevelCritical + 3, Message: "line one\nline two\u2028\x00\"\\", Error: "Traceback\n  boom",
		Attrs: []logbus.Attr{
			{Key: "nan", Value: logbus.FloatValue(math.NaN())}, {Key: "inf", Value: logbus.FloatValue(math.Inf(1))}, {Key: "ninf", Value: logbus.FloatValue(math.Inf(-1))},
			{Key: "negzero", Value: logbus.FloatValue(math.Copysign(0, -1))}, {Key: "whole", Value: logbus.FloatValue(3)}, {Key: "tiny", Value: logbus.FloatValue(5e-324)},
			{Key: "u64", Value: logbus.Uint64Value(math.MaxUint64)}, {Key: "i64", Value: logbus.IntValue(math.MinInt64)}, {Key: "big", Value: logbus.BigIntValue(big1)},
			{Key: "bytes", Value: logbus.BytesValue([]byte{0, 0xff, 'a'})}, {Key: "when", Value: logbus.TimeValue(time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC))},
			{Key: "before1970", Value: logbus.TimeValue(time.Date(1969, 7, 20, 20, 17, 40, 5, time.UTC))},
			{Key: "null", Value: logbus.NullValue()}, {Key: "list", Value: logbus.ListValue(logbus.IntValue(1), logbus.StringValue("two"), logbus.ListValue())},
			{Key: "empty", Value: logbus.GroupValue()}, {Key: "looks_tagged", Value: logbus.GroupValue(logbus.Attr{Key: "$float", Value: logbus.StringValue("NaN")})},
			{Key: "wrapper", Value: logbus.GroupValue(logbus.Attr{Key: "$group", Value: logbus.GroupValue(logbus.Attr{Key: "x", Value: logbus.IntValue(1)})})},
			{Key: "dup", Value: logbus.IntValue(1)}, {Key: "dup", Value: logbus.IntValue(2)}, {Key: "", Value: logbus.StringValue("empty key")},
			{Key: "emoji 😀 ключ", Value: logbus.StringValue("日本語")},
		},
	}
}
