package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// The pushpull-2proc pattern: a PUSH in this process and a PULL in a
// child process (this program run again with -child-pull), the shape of
// a publisher and a broker on one machine. It is the yardstick `logbus
// bench`'s end-to-end rate is compared with: libzmq moving bare
// messages between two processes.

// pusher is the sending half: a PUSH bound to a loopback port.
type pusher interface {
	send(frames [][]byte) error
	endpoint() string
	close()
}

// puller is the receiving half: a PULL connected to a pusher.
type puller interface {
	recv() ([][]byte, error)
	close()
}

// twoProc holds, per implementation, how to open each half.
var twoProc = map[string]struct {
	push func() (pusher, error)
	pull func(ep string) (puller, error)
}{}

// marked returns msg with its payload's first byte set to b: the child
// tells warm-up messages ('w') from measured ones ('x').
func marked(msg [][]byte, b byte) [][]byte {
	p := append([]byte(nil), msg[len(msg)-1]...)
	if len(p) > 0 {
		p[0] = b
	}
	out := append([][]byte(nil), msg[:len(msg)-1]...)
	return append(out, p)
}

// runTwoProc moves n messages to a child process and returns the time from
// the first measured send to the child's report of the last receive.
func runTwoProc(name string, n int) (time.Duration, error) {
	tp, ok := twoProc[name]
	if !ok {
		return 0, fmt.Errorf("%s has no two-process mode", name)
	}
	p, err := tp.push()
	if err != nil {
		return 0, err
	}
	defer p.close()
	cmd := exec.Command(os.Args[0], "-child-pull", p.endpoint(), "-impl", name, "-n", strconv.Itoa(n),
		"-topic", strconv.Itoa(*topicSize), "-payload", strconv.Itoa(*payloadSize))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	lines := make(chan string, 2)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	wait := func(want string, send func() error) error {
		deadline := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					return fmt.Errorf("child ended before %q", want)
				}
				if l == want {
					return nil
				}
			case <-deadline:
				return fmt.Errorf("no %q from the child within 30 s", want)
			default:
				if send == nil {
					time.Sleep(time.Millisecond)
					continue
				}
				if err := send(); err != nil {
					return err
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	msg := frames()
	warm, real := marked(msg, 'w'), marked(msg, 'x')
	fail := func(err error) (time.Duration, error) {
		kerr := cmd.Process.Kill()
		return 0, errors.Join(err, kerr, cmd.Wait())
	}
	if err := wait("ready", func() error { return p.send(warm) }); err != nil {
		return fail(err)
	}
	start := time.Now()
	for range n {
		if err := p.send(real); err != nil {
			return fail(err)
		}
	}
	if err := wait("done", nil); err != nil {
		return fail(err)
	}
	d := time.Since(start)
	return d, cmd.Wait()
}

// runChildPull is the child's side: it says "ready" at the first warm-up
// message, "done" after n measured ones.
func runChildPull(name, ep string, n int) error {
	tp, ok := twoProc[name]
	if !ok {
		return fmt.Errorf("%s has no two-process mode", name)
	}
	c, err := tp.pull(ep)
	if err != nil {
		return err
	}
	defer c.close()
	ready := false
	for got := 0; got < n; {
		m, err := c.recv()
		if err != nil {
			return err
		}
		if p := m[len(m)-1]; len(p) > 0 && p[0] == 'w' {
			if !ready {
				fmt.Println("ready")
				ready = true
			}
			continue
		}
		got++
	}
	fmt.Println("done")
	return nil
}
