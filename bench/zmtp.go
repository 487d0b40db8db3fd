package main

import (
	"context"
	"errors"
	"time"

	"github.com/logbus/logbus/zmtp"
)

type zmtpLink struct {
	snd, rcv *zmtp.Socket
	m        zmtp.Msg
}

func openZMTP(pattern string) (link, error) {
	sendT, recvT := zmtp.PUSH, zmtp.PULL
	if pattern == "pubsub" {
		sendT, recvT = zmtp.PUB, zmtp.SUB
	}
	// NoDrop makes PUB wait instead of dropping, so every run moves all
	// n messages and rates compare like for like with PUSH.
	opts := &zmtp.Options{SendHWM: 10000, RecvHWM: 10000, NoDrop: true}
	rcv, err := zmtp.NewSocket(recvT, opts)
	if err != nil {
		return nil, err
	}
	snd, err := zmtp.NewSocket(sendT, opts)
	if err != nil {
		return nil, errors.Join(err, rcv.Close())
	}
	l := &zmtpLink{snd: snd, rcv: rcv}
	if err := rcv.Bind("tcp://127.0.0.1:0"); err != nil {
		l.close()
		return nil, err
	}
	if recvT == zmtp.SUB {
		if err := rcv.Subscribe(nil); err != nil {
			l.close()
			return nil, err
		}
	}
	if err := snd.Connect(rcv.Endpoints()[0]); err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

func (l *zmtpLink) send(frames [][]byte) error {
	return l.snd.Send(context.Background(), frames)
}

func (l *zmtpLink) recv() ([][]byte, error) {
	err := l.rcv.RecvInto(context.Background(), &l.m)
	return l.m, err
}

func (l *zmtpLink) recvWithin(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	err := l.rcv.RecvInto(ctx, &l.m)
	if errors.Is(err, context.DeadlineExceeded) {
		return errTimeout
	}
	return err
}

func (l *zmtpLink) close() {
	l.snd.Close()
	l.rcv.Close()
}

// zmtpHalf is one side of pushpull-2proc.
type zmtpHalf struct {
	s *zmtp.Socket
	m zmtp.Msg
}

func init() {
	twoProc["zmtp"] = struct {
		push func() (pusher, error)
		pull func(ep string) (puller, error)
	}{
		push: func() (pusher, error) {
			s, err := zmtp.NewSocket(zmtp.PUSH, &zmtp.Options{SendHWM: 10000})
			if err != nil {
				return nil, err
			}
			if err := s.Bind("tcp://127.0.0.1:0"); err != nil {
				return nil, errors.Join(err, s.Close())
			}
			return &zmtpHalf{s: s}, nil
		},
		pull: func(ep string) (puller, error) {
			s, err := zmtp.NewSocket(zmtp.PULL, &zmtp.Options{RecvHWM: 10000})
			if err != nil {
				return nil, err
			}
			if err := s.Connect(ep); err != nil {
				return nil, errors.Join(err, s.Close())
			}
			return &zmtpHalf{s: s}, nil
		},
	}
}

func (h *zmtpHalf) send(frames [][]byte) error { return h.s.Send(context.Background(), frames) }
func (h *zmtpHalf) endpoint() string           { return h.s.Endpoints()[0] }
func (h *zmtpHalf) recv() ([][]byte, error) {
	err := h.s.RecvInto(context.Background(), &h.m)
	return h.m, err
}
func (h *zmtpHalf) close() { h.s.Close() }
