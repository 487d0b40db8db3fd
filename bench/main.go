// Command bench runs one workload over several ZeroMQ implementations and
// prints a comparison table: logbus's pure-Go zmtp package, go-zeromq/zmq4
// (pure Go) and libzmq through pebbe/zmq4 (cgo), plus a plain net.Conn
// with bufio as the ceiling of what loopback TCP allows in one process.
//
// The workload is the log bus's: two-frame messages [topic, payload] with a
// 3-byte topic and a 200-byte payload by default, one sender and one
// receiver in this process, over loopback TCP. Patterns: pushpull,
// pubsub, and pipeline (PUSH -> [PULL -> PUB] -> SUB, the broker's
// forwarding path, with the middle stage in one goroutine).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"
)

// link is a connected sender and receiver of one implementation. Each
// side is used by one goroutine at a time.
type link interface {
	send(frames [][]byte) error
	// recv returns the next message; its frames may be reused by the
	// next call.
	recv() ([][]byte, error)
	// recvWithin is recv giving up after d (used only to warm up).
	recvWithin(d time.Duration) error
	close()
}

// flusher is a link whose sender buffers until told to flush.
type flusher interface{ flush() error }

// impl opens links of one implementation.
type impl struct {
	name string
	open func(pattern string) (link, error)
	// scale lowers the message count for slow implementations so a run
	// stays short; rates are per message, so they stay comparable.
	scale float64
}

var (
	msgCount    = flag.Int("n", 1_000_000, "messages per run")
	runs        = flag.Int("runs", 3, "runs per implementation and pattern; the median is reported")
	impls       = flag.String("impl", "zmtp,gozmq,libzmq,netconn,nats", "comma-separated implementations")
	patterns    = flag.String("pattern", "pushpull,pubsub,pipeline,pushpull-2proc", "comma-separated patterns")
	topicSize   = flag.Int("topic", 3, "topic frame size in bytes")
	payloadSize = flag.Int("payload", 200, "payload frame size in bytes")
	childPull   = flag.String("child-pull", "", "internal: run as the receiving process of pushpull-2proc, connecting to this endpoint")
)

func main() {
	flag.Parse()
	if *childPull != "" {
		if err := runChildPull(*impls, *childPull, *msgCount); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		return
	}
	all := map[string]impl{
		"zmtp":    {name: "zmtp", open: openZMTP, scale: 1},
		"gozmq":   {name: "gozmq", open: openGoZMQ, scale: 0.1},
		"libzmq":  {name: "libzmq", open: openLibZMQ, scale: 1},
		"netconn": {name: "netconn", open: openNetConn, scale: 1},
		"nats":    {name: "nats", open: openNATS, scale: 1},
	}
	fmt.Printf("# %s/%s, GOMAXPROCS=%d, %d+%d byte messages, median of %d runs\n",
		runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), *topicSize, *payloadSize, *runs)
	fmt.Println("| implementation | pattern | msg/s | MB/s | allocs/msg | CPU µs/msg |")
	fmt.Println("|---|---|---:|---:|---:|---:|")
	failed := false
	for _, pattern := range strings.Split(*patterns, ",") {
		for _, name := range strings.Split(*impls, ",") {
			im, ok := all[name]
			if !ok {
				fmt.Fprintf(os.Stderr, "unknown implementation %q\n", name)
				os.Exit(2)
			}
			if name == "netconn" && pattern != "pushpull" || name == "nats" && pattern != "pipeline" {
				continue
			}
			if _, ok := twoProc[name]; pattern == "pushpull-2proc" && !ok {
				continue
			}
			n := int(float64(*msgCount) * im.scale)
			var rs []result
			for i := 0; i < *runs; i++ {
				r, err := measure(im, pattern, n)
				if err != nil {
					fmt.Fprintf(os.Stderr, "%s %s: %v\n", name, pattern, err)
					failed = true
					break
				}
				rs = append(rs, r)
			}
			if len(rs) == 0 {
				continue
			}
			sort.Slice(rs, func(i, j int) bool { return rs[i].rate() < rs[j].rate() })
			m := rs[len(rs)/2]
			fmt.Printf("| %s | %s | %.0f | %.1f | %.2f | %.2f |\n", name, pattern, m.rate(), m.rate()*float64(*topicSize+*payloadSize)/1e6, m.allocsPerMsg(), m.cpuPerMsg())
		}
	}
	if failed {
		os.Exit(1)
	}
}

// result is one measured run.
type result struct {
	msgs    int
	elapsed time.Duration
	mallocs uint64
	cpu     time.Duration // this process's CPU time (pushpull-2proc: the sender's only)
}

func (r result) rate() float64         { return float64(r.msgs) / r.elapsed.Seconds() }
func (r result) allocsPerMsg() float64 { return float64(r.mallocs) / float64(r.msgs) }
func (r result) cpuPerMsg() float64    { return r.cpu.Seconds() * 1e6 / float64(r.msgs) }

// measure runs one transfer and counts heap allocations across the whole
// process (sender, receiver and the implementation's goroutines).
func measure(im impl, pattern string, n int) (result, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime()
	d, err := run(im, pattern, n)
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&after)
	if err != nil {
		return result{}, err
	}
	return result{msgs: n, elapsed: d, mallocs: after.Mallocs - before.Mallocs, cpu: cpu}, nil
}

// run moves n messages and returns the time from the first send to the
// last receive.
func run(im impl, pattern string, n int) (time.Duration, error) {
	if pattern == "pushpull-2proc" {
		return runTwoProc(im.name, n)
	}
	var in, out link // in: where messages are sent; out: where they arrive
	var err error
	switch pattern {
	case "pushpull", "pubsub":
		if in, err = im.open(pattern); err != nil {
			return 0, err
		}
		defer in.close()
		out = in
	case "pipeline":
		if im.name == "nats" { // the server is the middle stage
			if in, err = im.open(pattern); err != nil {
				return 0, err
			}
			defer in.close()
			out = in
			break
		}
		if in, err = im.open("pushpull"); err != nil {
			return 0, err
		}
		defer in.close()
		if out, err = im.open("pubsub"); err != nil {
			return 0, err
		}
		defer out.close()
	default:
		return 0, fmt.Errorf("unknown pattern %q", pattern)
	}
	msg := frames()
	if err := warmUp(in, msg); err != nil {
		return 0, err
	}
	if out != in {
		if err := warmUp(out, msg); err != nil {
			return 0, err
		}
	}
	errc := make(chan error, 2)
	start := time.Now()
	if out != in {
		// The broker stage: forward exactly n messages, byte for byte.
		go func() {
			for i := 0; i < n; i++ {
				m, err := in.recv()
				if err == nil {
					err = out.send(m)
				}
				if err != nil {
					errc <- fmt.Errorf("forwarder: %w", err)
					return
				}
			}
			errc <- nil
		}()
	}
	go func() {
		for i := 0; i < n; i++ {
			if err := in.send(msg); err != nil {
				errc <- fmt.Errorf("sender: %w", err)
				return
			}
		}
		if f, ok := in.(flusher); ok {
			errc <- f.flush()
			return
		}
		errc <- nil
	}()
	for i := 0; i < n; i++ {
		if _, err := out.recv(); err != nil {
			return 0, fmt.Errorf("receiver: %w", err)
		}
	}
	d := time.Since(start)
	waits := 1
	if out != in {
		waits = 2
	}
	for i := 0; i < waits; i++ {
		if err := <-errc; err != nil {
			return 0, err
		}
	}
	return d, nil
}

// warmUp sends until the receiver gets a message (the connection, and
// for PUB/SUB the subscription, is then in place), then drains what the
// warm-up left queued.
func warmUp(l link, msg [][]byte) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := l.send(msg); err != nil {
			return err
		}
		err := l.recvWithin(20 * time.Millisecond)
		if err == nil {
			break
		}
		if !errors.Is(err, errTimeout) {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("no message after 10 s of warm-up")
		}
	}
	for l.recvWithin(50*time.Millisecond) == nil {
	}
	return nil
}

var errTimeout = errors.New("timeout")

func frames() [][]byte {
	topic := []byte(strings.Repeat("T", *topicSize))
	payload := make([]byte, *payloadSize)
	for i := range payload {
		payload[i] = byte(i)
	}
	return [][]byte{topic, payload}
}
