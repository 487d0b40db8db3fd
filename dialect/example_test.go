package dialect_test

import (
	"fmt"
	"os"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/dialect"
)

func ExampleAppendWorkerLine() {
	r := logbus.Record{Envelope: logbus.Envelope{Equipment: "stage-2"}, Level: logbus.LevelWarn, Message: "motor hot",
		Attrs: []logbus.Attr{{Key: "temp", Value: logbus.FloatValue(71.5)}}}
	os.Stdout.Write(dialect.AppendWorkerLine(nil, &r))
	// Output:
	// {"level":"WARN","message":"motor hot","context":{"temp":71.5,"equipment":"stage-2"}}
}

func ExampleRead() {
	// distlog's LogRecord.__dict__, as codec's decoder hands it over.
	attrs := []logbus.Attr{
		{Key: "name", Value: logbus.StringValue("vacuum")},
		{Key: "msg", Value: logbus.StringValue("pressure %.1e")},
		{Key: "message", Value: logbus.StringValue("pressure 2.0e-06")},
		{Key: "levelno", Value: logbus.IntValue(30)},
		{Key: "created", Value: logbus.FloatValue(1795343867.25)},
		{Key: "hostname", Value: logbus.StringValue("lab-7")},
		{Key: "equipment_id", Value: logbus.StringValue("cryo-1")},
		{Key: "gauge", Value: logbus.StringValue("G2")},
	}
	var r logbus.Record
	shape := dialect.Detect(attrs)
	dialect.Read(shape, attrs, &r)
	fmt.Println(shape, r.Level, r.Logger, r.Message, r.Host, r.Equipment, r.Attrs[0].Key)
	// Output:
	// distlog WARN vacuum pressure 2.0e-06 lab-7 cryo-1 gauge
}
