package subscriber_test

import (
	"context"
	"fmt"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/subscriber"
	"github.com/logbus/logbus/topic"
)

func ExampleDial() {
	// Production logs of one instrument at WARN and above, from the
	// broker's fan-out.
	warn := logbus.LevelWarn
	sub, err := subscriber.Dial(context.Background(), "tcp://127.0.0.1:5011", &subscriber.Options{
		Filter:   topic.Filter{Systems: []logbus.System{logbus.Production}, Kinds: []topic.Kind{topic.Log}, Equipments: []string{"scope-3"}},
		MinLevel: &warn,
	})
	if err != nil {
		panic(err)
	}
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for ev, err := range sub.All(ctx) {
		if err != nil {
			break // ctx ended
		}
		switch ev.Kind {
		case subscriber.KindRecord:
			fmt.Println(ev.Record.Level, ev.Record.Message)
		case subscriber.KindGap:
			fmt.Printf("%d records lost on %s\n", ev.Gap.Missing, ev.Gap.Topic)
		case subscriber.KindDecodeError:
			fmt.Println("undecodable:", ev.Err)
		}
	}
}
