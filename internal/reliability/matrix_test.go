package reliability

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/publisher"
	"github.com/logbus/logbus/zmtp"
)

// fullMatrix runs every row of the fault matrix ten times; without it
// (CI) each row runs once.
var fullMatrix = flag.Bool("matrix", false, "run the full fault matrix: every row 10 times at each rate")

// The fault matrix: a daemon process is stopped (SIGTERM, then started
// again at once) or killed (SIGKILL, then started again) while
// publishers send at a steady rate; afterwards every record is looked
// for in the files. A graceful restart must lose nothing; a kill may
// lose, but exactly what the file sink reports: GAP notices for logbus
// publishers (numbered streams), LINK-GAP notices for unnumbered senders
// (distlog-shaped, like every Python client today), whose loss can only
// be counted after the broker. No record may be written twice.
//
// Rows: the target (the broker, the file sink, or the central broker of
// a site → central pair, with the sink on the central archive) × the
// signal × the sender (numbered or not) × the rate.

type matrixRow struct {
	target   string // "broker", "filesink", "central"
	sig      syscall.Signal
	legacy   bool // unnumbered sender
	noReplay bool // a logbus publisher with its replay window off
	python   bool // a Python program with the logbus package
	rate     int  // records per second
}

func (r matrixRow) String() string {
	sig := "term"
	if r.sig == syscall.SIGKILL {
		sig = "kill9"
	}
	return fmt.Sprintf("%s-%s-%s-%dk", r.target, sig, r.sender(), r.rate/1000)
}

func (r matrixRow) sender() string {
	switch {
	case r.python && r.noReplay:
		return "python-noreplay"
	case r.python:
		return "python"
	case r.legacy:
		return "unnumbered"
	case r.noReplay:
		return "logbus-noreplay"
	}
	return "logbus"
}

// matrixResult is one run's count.
type matrixResult struct {
	sent, lost, reported, dup int
	overRuns                  int // runs that reported more than they lost
}

func TestFaultMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault matrix starts daemons; skipped with -short")
	}
	var rows []matrixRow
	for _, target := range []string{"broker", "filesink", "central"} {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
			for _, legacy := range []bool{false, true} {
				// An unnumbered sender's loss at the broker itself (in its
				// memory when killed, or in the sender's own queue) cannot
				// be counted by anyone: those rows are left out.
				if legacy && target == "broker" {
					continue
				}
				for _, rate := range []int{20000, 100000} {
					rows = append(rows, matrixRow{target: target, sig: sig, legacy: legacy, rate: rate})
				}
			}
		}
	}
	// A broker killed with its replay window off loses what it held: the
	// case for exact gap reports of numbered streams.
	for _, rate := range []int{20000, 100000} {
		rows = append(rows, matrixRow{target: "broker", sig: syscall.SIGKILL, noReplay: true, rate: rate})
	}
	// A Python program with the logbus package (its own replay window and
	// numbering), at a rate a Python program logs.
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		rows = append(rows, matrixRow{target: "broker", sig: sig, python: true, rate: 2000})
	}
	rows = append(rows, matrixRow{target: "broker", sig: syscall.SIGKILL, python: true, noReplay: true, rate: 2000})
	runs := 1
	if *fullMatrix {
		runs = 10
	}
	var table strings.Builder
	fmt.Fprintf(&table, "| fault | sender | rate | runs | sent | lost | reported | over-reported runs | written twice |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, row := range rows {
		t.Run(row.String(), func(t *testing.T) {
			var sum matrixResult
			for range runs {
				r := runMatrix(t, row)
				sum.sent += r.sent
				sum.lost += r.lost
				sum.reported += r.reported
				sum.dup += r.dup
				if r.reported > r.lost {
					sum.overRuns++
				}
				if t.Failed() {
					break
				}
			}
			sig := "SIGTERM, restart"
			if row.sig == syscall.SIGKILL {
				sig = "kill -9, restart"
			}
			sender := map[string]string{"logbus": "logbus publisher", "unnumbered": "unnumbered (distlog-shaped)",
				"logbus-noreplay": "logbus publisher, replay off", "python": "Python logbus.Handler", "python-noreplay": "Python logbus.Handler, replay off"}[row.sender()]
			fmt.Fprintf(&table, "| %s %s | %s | %dk/s | %d | %d | %d | %d | %d | %d |\n",
				row.target, sig, sender, row.rate/1000, runs, sum.sent, sum.lost, sum.reported, sum.overRuns, sum.dup)
		})
	}
	t.Logf("fault matrix:\n%s", table.String())
}

// topology is the daemons of one run.
type topology struct {
	ingest  string // where publishers send
	target  *proc
	root    string
	central string   // the sink's central log
	metrics []string // the brokers' HTTP addresses, for failure reports
}

func startTopology(t *testing.T, row matrixRow) *topology {
	tp := &topology{root: t.TempDir()}
	tp.central = filepath.Join(tp.root, "central.log")
	a := newBrokerAddrs(t)
	b := startBroker(t, a)
	waitHealthy(t, a.http)
	site := newBrokerAddrs(t)
	archive := a.archive
	tp.ingest = a.ingest
	tp.metrics = append(tp.metrics, a.http)
	if row.target == "central" {
		tp.metrics = append(tp.metrics, site.http)
		startProc(t, "broker", "--ingest", site.ingest, "--fanout", site.fanout, "--archive", "-", "--http", site.http,
			"--upstream", a.ingest, "--log-level", "warn", "--drain-timeout", "3s")
		tp.ingest = site.ingest
	}
	sink := startProc(t, "filesink", "--connect", archive, "--root", tp.root, "--http", "-", "--log-level", "warn")
	switch row.target {
	case "filesink":
		tp.target = sink
	default:
		tp.target = b
	}
	return tp
}

// waitHealthy waits until a daemon's HTTP /healthz answers: its
// endpoints are bound before its clients start dialling.
func waitHealthy(t *testing.T, addr string) {
	t.Helper()
	testsupport.WaitFor(t, 15*time.Second, "the daemon at "+addr, func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		return resp.Body.Close() == nil && resp.StatusCode == http.StatusOK
	})
}

// legacySender is an unnumbered sender: a plain PUSH writing
// distlog-shaped JSON, as distlog's ZmqHandler does.
type legacySender struct {
	sock *zmtp.Socket
	host string
}

func (l *legacySender) send(t *testing.T, msg string) {
	payload := fmt.Sprintf(`{"name":"lab","msg":%q,"args":null,"levelname":"INFO","levelno":20,"created":%d.5,"message":%q,"hostname":%q,"process":4242}`,
		msg, time.Now().Unix(), msg, l.host)
	if err := l.sock.Send(context.Background(), zmtp.Msg{[]byte("PLJ"), []byte(payload)}); err != nil {
		t.Fatal(err)
	}
}

func runMatrix(t *testing.T, row matrixRow) matrixResult {
	t.Helper()
	tp := startTopology(t, row)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var pub *publisher.Publisher
	var leg *legacySender
	var py *pySender
	send := func(msg string) {
		switch {
		case row.python:
			py.send(t, msg)
		case row.legacy:
			leg.send(t, msg)
		default:
			pub.Publish(&logbus.Record{Message: msg, Envelope: logbus.Envelope{Equipment: "eq", Host: "h"}})
		}
	}
	file := filepath.Join(tp.root, "eq", "h.log")
	switch {
	case row.python:
		py = startPySender(t, tp.ingest, !row.noReplay)
	case row.legacy:
		s, err := zmtp.NewSocket(zmtp.PUSH, &zmtp.Options{SendHWM: 1 << 20, SendHWMBytes: 256 << 20, Linger: 5 * time.Second,
			ReconnectInterval: 10 * time.Millisecond, ReconnectIntervalMax: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
		if err := s.Connect(tp.ingest); err != nil {
			t.Fatal(err)
		}
		leg = &legacySender{sock: s, host: "legacy"}
		file = tp.central // distlog records carry no equipment
	default:
		o := &publisher.Options{QueueRecords: 1 << 20, QueueBytes: 256 << 20}
		if row.noReplay {
			o.ReplayBytes = -1
		}
		pub = newPub(t, tp.ingest, o)
	}
	testsupport.WaitFor(t, 20*time.Second, "the path to the files", func() bool {
		send("probe-" + run)
		return lines(file, "probe-"+run) > 0
	})
	// The stream: records 0..n-1 at the rate, the fault a third through.
	n := row.rate * 3 / 2
	perTick := row.rate / 1000
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	faulted := false
	for i := 0; i < n; {
		<-tick.C
		for k := 0; k < perTick && i < n; k++ {
			send(fmt.Sprintf("m-%s-%d", run, i))
			i++
		}
		if !faulted && i >= n/3 {
			faulted = true
			err := tp.target.kill(row.sig)
			if row.sig == syscall.SIGTERM && err != nil {
				t.Fatalf("%s exit after SIGTERM: %v", row.target, err)
			}
			tp.target.start()
		}
	}
	// Records after the stream reveal any loss at its end.
	testsupport.WaitFor(t, 60*time.Second, "a record after the stream", func() bool {
		send("tail-" + run)
		return lines(file, "tail-"+run) > 0
	})
	present := make([]int, n)
	for _, l := range strings.Split(readFile(t, file), "\n") {
		if _, after, ok := strings.Cut(l, "m-"+run+"-"); ok {
			var i int
			if _, err := fmt.Sscanf(after, "%d", &i); err == nil && i >= 0 && i < n {
				present[i]++
			}
		}
	}
	res := matrixResult{sent: n}
	var stream uint64
	switch {
	case pub != nil:
		stream = pub.Stream()
	case py != nil:
		stream = py.stream
		py.stop(t)
	}
	centralLog, err := os.ReadFile(tp.central)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(centralLog), "\n") {
		switch {
		case strings.Contains(l, " LINK-GAP "):
			// Every sender's loss is in it; only an unnumbered one's
			// records are counted here (numbered streams report their own).
			if row.legacy {
				res.reported += int(field(l, "unnumbered="))
			}
		case strings.Contains(l, " GAP ") && !row.legacy && strings.Contains(l, fmt.Sprintf("stream=%016x", stream)):
			res.reported += int(field(l, "missing="))
		}
	}
	for _, c := range present {
		if c == 0 {
			res.lost++
		}
		res.dup += max(c-1, 0)
	}
	t.Logf("%s: %d sent, %d lost, %d reported, %d written twice", row, n, res.lost, res.reported, res.dup)
	if res.lost > 0 || res.dup > 0 || res.lost != res.reported {
		for _, m := range tp.metrics {
			t.Logf("broker %s:\n%s", m, metricsMatching(t, m, "logbus_broker"))
		}
	}
	if res.dup > 0 {
		t.Errorf("%d records written twice", res.dup)
	}
	if row.sig == syscall.SIGTERM && (res.lost != 0 || res.reported != 0) {
		t.Errorf("graceful restart of the %s: %d of %d lost, %d reported", row.target, res.lost, n, res.reported)
	}
	// A kill -9 loses only what is reported: never a silent loss. It
	// can over-report by what one write of the file sink held, when it
	// lands between that write and the positions save after it (the two
	// are separate system calls): at most a flush interval (10 ms) of
	// input and one sender batch.
	if row.sig == syscall.SIGKILL {
		if res.lost > res.reported {
			t.Errorf("kill -9 of the %s: %d of %d lost, only %d reported", row.target, res.lost, n, res.reported)
		}
		if over := res.reported - res.lost; over > row.rate/100+row.rate/1000 {
			t.Errorf("kill -9 of the %s: %d lost, %d reported: over by more than one write", row.target, res.lost, res.reported)
		}
	}
	if pub != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := pub.Close(ctx); err != nil {
			t.Error(err)
		}
	}
	return res
}

// field returns the number after key in a notice line (0 if absent).
func field(line, key string) uint64 {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key); ok {
			n, _ := strconv.ParseUint(v, 10, 64)
			return n
		}
	}
	return 0
}
