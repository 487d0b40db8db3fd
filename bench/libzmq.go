//go:build !nolibzmq

package main

import (
	"errors"
	"syscall"
	"time"

	zmq "github.com/pebbe/zmq4"
)

// libzmqLink drives libzmq through pebbe/zmq4. libzmq sockets are not
// thread-safe; the benchmark uses each side from one goroutine at a time.
type libzmqLink struct {
	snd, rcv *zmq.Socket
	frames   [][]byte
	timeout  time.Duration // current receive timeout; -1 is none
}

func openLibZMQ(pattern string) (link, error) {
	sendT, recvT := zmq.PUSH, zmq.PULL
	if pattern == "pubsub" {
		sendT, recvT = zmq.PUB, zmq.SUB
	}
	rcv, err := zmq.NewSocket(recvT)
	if err != nil {
		return nil, err
	}
	snd, err := zmq.NewSocket(sendT)
	if err != nil {
		return nil, errors.Join(err, rcv.Close())
	}
	l := &libzmqLink{snd: snd, rcv: rcv, timeout: -1}
	for _, s := range []*zmq.Socket{snd, rcv} {
		// Unlimited queues: libzmq then neither drops (PUB) nor blocks,
		// the same "every message arrives" contract as the other runs.
		for _, set := range []func(int) error{s.SetSndhwm, s.SetRcvhwm} {
			if err := set(0); err != nil {
				l.close()
				return nil, err
			}
		}
		if err := s.SetLinger(0); err != nil {
			l.close()
			return nil, err
		}
	}
	if recvT == zmq.SUB {
		if err := rcv.SetSubscribe(""); err != nil {
			l.close()
			return nil, err
		}
	}
	if err := rcv.Bind("tcp://127.0.0.1:*"); err != nil {
		l.close()
		return nil, err
	}
	ep, err := rcv.GetLastEndpoint()
	if err == nil {
		err = snd.Connect(ep)
	}
	if err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

func (l *libzmqLink) send(frames [][]byte) error { return sendFrames(l.snd, frames) }

// sendFrames sends one multi-frame message.
func sendFrames(s *zmq.Socket, frames [][]byte) error {
	for i, f := range frames {
		flag := zmq.SNDMORE
		if i == len(frames)-1 {
			flag = 0
		}
		if _, err := s.SendBytes(f, flag); err != nil {
			return err
		}
	}
	return nil
}

// recvFrames receives one message into frames[:0].
func recvFrames(s *zmq.Socket, frames [][]byte) ([][]byte, error) {
	frames = frames[:0]
	for {
		f, err := s.RecvBytes(0)
		if err != nil {
			return nil, err
		}
		frames = append(frames, f)
		more, err := s.GetRcvmore()
		if err != nil || !more {
			return frames, err
		}
	}
}

func (l *libzmqLink) recv() ([][]byte, error) {
	if l.timeout != -1 {
		if err := l.rcv.SetRcvtimeo(-1); err != nil {
			return nil, err
		}
		l.timeout = -1
	}
	return l.recvMsg()
}

func (l *libzmqLink) recvMsg() ([][]byte, error) {
	fs, err := recvFrames(l.rcv, l.frames)
	if fs != nil {
		l.frames = fs
	}
	return fs, err
}

func (l *libzmqLink) recvWithin(d time.Duration) error {
	if l.timeout != d {
		if err := l.rcv.SetRcvtimeo(d); err != nil {
			return err
		}
		l.timeout = d
	}
	_, err := l.recvMsg()
	if errors.Is(zmq.AsErrno(err), zmq.Errno(syscall.EAGAIN)) {
		return errTimeout
	}
	return err
}

func (l *libzmqLink) close() {
	l.snd.Close()
	l.rcv.Close()
}

// libzmqHalf is one side of pushpull-2proc.
type libzmqHalf struct {
	s      *zmq.Socket
	ep     string
	frames [][]byte
}

func init() {
	twoProc["libzmq"] = struct {
		push func() (pusher, error)
		pull func(ep string) (puller, error)
	}{
		push: func() (pusher, error) { return openLibZMQHalf(zmq.PUSH, "") },
		pull: func(ep string) (puller, error) { return openLibZMQHalf(zmq.PULL, ep) },
	}
}

// openLibZMQHalf binds a PUSH (connect "") or connects a PULL, with
// unlimited queues as in the one-process runs.
func openLibZMQHalf(t zmq.Type, connect string) (*libzmqHalf, error) {
	s, err := zmq.NewSocket(t)
	if err != nil {
		return nil, err
	}
	h := &libzmqHalf{s: s}
	for _, set := range []func(int) error{s.SetSndhwm, s.SetRcvhwm} {
		if err := set(0); err != nil {
			h.close()
			return nil, err
		}
	}
	if err := s.SetLinger(0); err != nil {
		h.close()
		return nil, err
	}
	if connect != "" {
		err = s.Connect(connect)
	} else if err = s.Bind("tcp://127.0.0.1:*"); err == nil {
		h.ep, err = s.GetLastEndpoint()
	}
	if err != nil {
		h.close()
		return nil, err
	}
	return h, nil
}

func (h *libzmqHalf) send(frames [][]byte) error { return sendFrames(h.s, frames) }

func (h *libzmqHalf) endpoint() string { return h.ep }

func (h *libzmqHalf) recv() ([][]byte, error) {
	fs, err := recvFrames(h.s, h.frames)
	if fs != nil {
		h.frames = fs
	}
	return fs, err
}

func (h *libzmqHalf) close() { h.s.Close() }
