package textline_test

import (
	"os"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/textline"
)

func ExampleAppendRecord() {
	r := logbus.Record{
		Envelope: logbus.Envelope{Time: time.Date(2026, 11, 22, 10, 36, 11, 426e6, time.UTC), Host: "lab-7", Equipment: "scope-3",
			Run: logbus.Run{Project: "p-19", Kind: "cal", ID: "r-1"}},
		Level: logbus.LevelError, Logger: "stage", Message: "move failed",
		Error: "Traceback (most recent call last):\n  ...\nTimeoutError",
		Attrs: []logbus.Attr{{Key: "x_um", Value: logbus.FloatValue(1250.5)}, {Key: "note", Value: logbus.StringValue("two words")}},
	}
	os.Stdout.Write(textline.AppendRecord(nil, &r))
	// Output:
	// 2026-11-22T10:36:11.426Z ERROR [host:lab-7] [equip:scope-3] [run:p-19/cal/r-1] stage: move failed x_um=1250.5 note="two words"
	//     Traceback (most recent call last):
	//       ...
	//     TimeoutError
}

func ExampleGapNotice() {
	n := textline.GapNotice(logbus.Gap{Stream: 0xa1, Topic: "PLM/scope-3/", Host: "lab-7", PID: 41, Missing: 5, After: 1200})
	os.Stdout.Write(textline.AppendNotice(nil, time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), &n))
	// Output:
	// 2026-11-22T10:00:00.000Z GAP stream=00000000000000a1 topic=PLM/scope-3/ host=lab-7 pid=41 missing=5 after=1200
}
