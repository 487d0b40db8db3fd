package main

import (
	"context"
	"time"

	gozmq "github.com/go-zeromq/zmq4"
)

// gozmqLink feeds go-zeromq's Recv, which takes no timeout, through a
// goroutine and a channel so that the warm-up can poll it.
type gozmqLink struct {
	cancel   context.CancelFunc
	snd, rcv gozmq.Socket
	msgs     chan gozmqMsg
	done     chan struct{}
}

type gozmqMsg struct {
	frames [][]byte
	err    error
}

func openGoZMQ(pattern string) (link, error) {
	ctx, cancel := context.WithCancel(context.Background())
	l := &gozmqLink{cancel: cancel, msgs: make(chan gozmqMsg, 1024), done: make(chan struct{})}
	if pattern == "pubsub" {
		l.snd, l.rcv = gozmq.NewPub(ctx), gozmq.NewSub(ctx)
		if err := l.rcv.SetOption(gozmq.OptionSubscribe, ""); err != nil {
			l.close()
			return nil, err
		}
	} else {
		l.snd, l.rcv = gozmq.NewPush(ctx), gozmq.NewPull(ctx)
	}
	if err := l.rcv.Listen("tcp://127.0.0.1:0"); err != nil {
		l.close()
		return nil, err
	}
	if err := l.snd.Dial("tcp://" + l.rcv.Addr().String()); err != nil {
		l.close()
		return nil, err
	}
	go func() {
		for {
			m, err := l.rcv.Recv()
			select {
			case l.msgs <- gozmqMsg{m.Frames, err}:
			case <-l.done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return l, nil
}

func (l *gozmqLink) send(frames [][]byte) error {
	return l.snd.Send(gozmq.NewMsgFrom(frames...))
}

func (l *gozmqLink) recv() ([][]byte, error) {
	m := <-l.msgs
	return m.frames, m.err
}

func (l *gozmqLink) recvWithin(d time.Duration) error {
	select {
	case m := <-l.msgs:
		return m.err
	case <-time.After(d):
		return errTimeout
	}
}

func (l *gozmqLink) close() {
	close(l.done)
	l.cancel()
	l.snd.Close()
	l.rcv.Close()
}
