package logbus_test

import (
	"fmt"

	"github.com/logbus/logbus"
)

func ExampleRecord_AddAttr() {
	// A Python program's extras name the record's own fields; the rest
	// stay attributes.
	var r logbus.Record
	r.AddAttr(logbus.Attr{Key: "equipment_id", Value: logbus.StringValue("scope-3")})
	r.AddAttr(logbus.Attr{Key: "run_id", Value: logbus.IntValue(42)})
	r.AddAttr(logbus.Attr{Key: "gain", Value: logbus.FloatValue(2.5)})
	fmt.Println(r.Equipment, r.Run.ID, r.Attrs[0].Key, r.Attrs[0].Value)
	// Output: scope-3 42 gain 2.5
}

func ExampleParseLevel() {
	for _, name := range []string{"warning", "CRITICAL", "ERROR+2", "loud"} {
		l, ok := logbus.ParseLevel(name)
		fmt.Println(l, int(l), ok)
	}
	// Output:
	// WARN 4 true
	// CRITICAL 12 true
	// ERROR+2 10 true
	// INFO 0 false
}

func ExampleValidName() {
	fmt.Println(logbus.ValidName("scope-3"), logbus.ValidName("../etc"), logbus.ValidName("lab 7"))
	// Output: true false false
}
