package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"time"
)

// netconnLink moves the same bytes as a two-frame ZMTP message over a bare
// TCP connection with bufio on both ends: the ceiling for any engine that
// copies each message once on each side. Messages are fixed-size, so the
// reader needs no parsing: this is the cost of the bytes alone.
type netconnLink struct {
	out, in net.Conn
	w       *bufio.Writer
	r       *bufio.Reader
	buf     []byte
	hdr     [2]byte
}

func openNetConn(string) (link, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	type accepted struct {
		c   net.Conn
		err error
	}
	ac := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		ac <- accepted{c, err}
	}()
	out, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, err
	}
	a := <-ac
	if a.err != nil {
		return nil, errors.Join(a.err, out.Close())
	}
	fr := frames()
	return &netconnLink{
		out: out, in: a.c,
		w:   bufio.NewWriterSize(out, 64<<10),
		r:   bufio.NewReaderSize(a.c, 64<<10),
		buf: make([]byte, 4+len(fr[0])+len(fr[1])),
	}, nil
}

func (l *netconnLink) send(frames [][]byte) error {
	for i, f := range frames {
		l.hdr[0], l.hdr[1] = 0, byte(len(f))
		if i < len(frames)-1 {
			l.hdr[0] = 1
		}
		if _, err := l.w.Write(l.hdr[:]); err != nil {
			return err
		}
		if _, err := l.w.Write(f); err != nil {
			return err
		}
	}
	// bufio writes by itself when full; the sender flushes the rest at
	// the end of a run.
	return nil
}

func (l *netconnLink) flush() error { return l.w.Flush() }

func (l *netconnLink) recv() ([][]byte, error) {
	if err := l.in.SetReadDeadline(time.Time{}); err != nil {
		return nil, err
	}
	_, err := io.ReadFull(l.r, l.buf)
	return nil, err
}

func (l *netconnLink) recvWithin(d time.Duration) error {
	if err := l.w.Flush(); err != nil {
		return err
	}
	if err := l.in.SetReadDeadline(time.Now().Add(d)); err != nil {
		return err
	}
	_, err := io.ReadFull(l.r, l.buf)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errTimeout
	}
	return err
}

func (l *netconnLink) close() {
	l.w.Flush()
	l.out.Close()
	l.in.Close()
}
