package filesink_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/filesink"
	"github.com/logbus/logbus/subscriber"
	"github.com/logbus/logbus/topic"
)

func Example() {
	root, err := os.MkdirTemp("", "logs")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)
	sink, err := filesink.New(&filesink.Config{Root: root, PathTemplate: "{equipment}/{host}.log"})
	if err != nil {
		panic(err)
	}
	// Run(ctx, subscriber) is the usual way; Add and Flush show the effect.
	rec := &logbus.Record{
		Envelope: logbus.Envelope{Time: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), Host: "lab-7", Equipment: "scope-3"},
		Level:    logbus.LevelError, Message: "trigger lost",
	}
	sink.Add(subscriber.Event{Kind: subscriber.KindRecord, Topic: topic.Topic{System: 'P', Kind: 'L', Encoding: 'M'}, Record: rec})
	sink.Flush()
	if err := sink.Close(); err != nil {
		panic(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "scope-3", "lab-7.log"))
	if err != nil {
		panic(err)
	}
	fmt.Print(string(b))
	// Output: 2026-11-22T10:00:00.000Z ERROR [host:lab-7] [equip:scope-3] trigger lost
}
