package zmtp_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/logbus/logbus/zmtp"
)

// A PULL socket binds an ephemeral port; a PUSH socket connects to it and
// sends a two-frame message.
func Example_pushPull() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	pull, err := zmtp.NewSocket(zmtp.PULL, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer pull.Close()
	if err := pull.Bind("tcp://127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}

	push, err := zmtp.NewSocket(zmtp.PUSH, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer push.Close()
	if err := push.Connect(pull.Endpoints()[0]); err != nil {
		log.Fatal(err)
	}

	buf := []byte("stage moved")
	if err := push.SendFrames(ctx, []byte("PLM"), buf); err != nil {
		log.Fatal(err)
	}
	copy(buf, "overwritten") // safe: Send copied the frames

	msg, err := pull.Recv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %s\n", msg[0], msg[1])
	// Output: PLM stage moved
}

// A SUB socket receives only the topics it subscribed to. The publisher
// waits until the subscription has reached it (Stats shows the peer),
// since PUB/SUB drops what is published before anyone subscribes.
func Example_pubSub() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	pub, err := zmtp.NewSocket(zmtp.PUB, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer pub.Close()
	if err := pub.Bind("tcp://127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}

	sub, err := zmtp.NewSocket(zmtp.SUB, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()
	if err := sub.Subscribe([]byte("ERR")); err != nil {
		log.Fatal(err)
	}
	if err := sub.Connect(pub.Endpoints()[0]); err != nil {
		log.Fatal(err)
	}

	// Publish until the subscription is in place.
	got := make(chan zmtp.Msg)
	go func() {
		m, err := sub.Recv(ctx)
		if err == nil {
			got <- m
		}
	}()
	for {
		if err := pub.SendFrames(ctx, []byte("INFO"), []byte("ignored")); err != nil {
			log.Fatal(err)
		}
		if err := pub.SendFrames(ctx, []byte("ERR"), []byte("disk full")); err != nil {
			log.Fatal(err)
		}
		select {
		case m := <-got:
			fmt.Printf("%s: %s\n", m[0], m[1])
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	// Output: ERR: disk full
}

// RecvInto reuses the frames of the message it is given, so a receive
// loop does not allocate per message.
func ExampleSocket_RecvInto() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pull, err := zmtp.NewSocket(zmtp.PULL, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer pull.Close()
	if err := pull.Bind("tcp://127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	push, err := zmtp.NewSocket(zmtp.PUSH, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer push.Close()
	if err := push.Connect(pull.Endpoints()[0]); err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := push.SendFrames(ctx, []byte("T"), []byte{byte('a' + i)}); err != nil {
			log.Fatal(err)
		}
	}
	var m zmtp.Msg
	for i := 0; i < 3; i++ {
		if err := pull.RecvInto(ctx, &m); err != nil {
			log.Fatal(err)
		}
		fmt.Print(string(m[1]))
	}
	fmt.Println()
	fmt.Println("received:", pull.Stats().Received)
	// Output:
	// abc
	// received: 3
}
