package broker_test

import (
	"context"
	"fmt"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/broker"
	"github.com/logbus/logbus/publisher"
	"github.com/logbus/logbus/subscriber"
)

func Example() {
	// A broker on ephemeral loopback ports; "-" would disable the archive.
	b, err := broker.New(&broker.Config{Ingest: "tcp://127.0.0.1:0", Fanout: "tcp://127.0.0.1:0", Archive: "tcp://127.0.0.1:0"})
	if err != nil {
		panic(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()

	// A file sink reads the archive under a name: the broker serves it
	// without loss and keeps what arrives while it is away (here: before
	// it has connected) for it. A dashboard reads the fan-out instead.
	sub, err := subscriber.Dial(ctx, b.Endpoints().Archive, &subscriber.Options{Archiver: "example-sink"})
	if err != nil {
		panic(err)
	}
	pub, err := publisher.New(b.Endpoints().Ingest, nil)
	if err != nil {
		panic(err)
	}
	pub.Publish(&logbus.Record{Level: logbus.LevelWarn, Message: "door open", Envelope: logbus.Envelope{Equipment: "cryo-1"}})

	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ev, err := sub.Next(rctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(ev.Topic, ev.Record.Level, ev.Record.Equipment, ev.Record.Message)

	cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
	defer ccancel()
	if err := pub.Close(cctx); err != nil {
		panic(err)
	}
	stop()
	if err := <-done; err != nil {
		panic(err)
	}
	if err := sub.Close(); err != nil {
		panic(err)
	}
	if err := b.Close(); err != nil {
		panic(err)
	}
	// Output: PLM/cryo-1/ WARN cryo-1 door open
}
