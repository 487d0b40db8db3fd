package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/cmd/internal/cli"
	"github.com/logbus/logbus/publisher"
	"github.com/logbus/logbus/subscriber"
	"github.com/logbus/logbus/topic"
	"github.com/logbus/logbus/zmtp"
)

// benchConfig is what `logbus bench` reads.
type benchConfig struct {
	Records    int           // per publisher
	Publishers int           // concurrent publishers
	Size       int           // message bytes per record
	Rate       int           // records/s in all; 0: as fast as possible
	Root       string        // where the file sink writes; default a temporary directory
	Timeout    time.Duration // give up waiting for the files after this long without progress
	Profile    string        // directory for CPU profiles of each component; "" none
	Payload    string        // msgpack, json, distlog or logbook
	Equipments int           // records cycle through this many equipments, one each in turn
	Batch      int           // most records per message for logbus publishers; 0: the publisher's default
	JSON       bool
}

// benchResult is what `logbus bench --json` prints.
type benchResult struct {
	Payload       string             `json:"payload"`
	Equipments    int                `json:"equipments"`
	Batch         int                `json:"batch,omitempty"`
	Publishers    int                `json:"publishers"`
	Records       int                `json:"records"`
	RecordBytes   int                `json:"record_bytes"`
	Seconds       float64            `json:"seconds"`
	RecordsPerSec float64            `json:"records_per_sec"`
	Lost          int                `json:"lost"`
	DroppedAtPub  uint64             `json:"dropped_at_publishers"`
	P50ms         float64            `json:"p50_ms"`
	P99ms         float64            `json:"p99_ms"`
	LatencyN      int                `json:"latency_samples"`
	BrokerMsgs    int                `json:"broker_messages"` // messages the broker forwarded: records per message shows batching
	CPUSeconds    map[string]float64 `json:"cpu_seconds"`
	PeakRSSMiB    map[string]float64 `json:"peak_rss_mib"`
}

func benchCommand(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("logbus bench", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Int("records", 100000, "records per publisher")
	fs.Int("publishers", 4, "concurrent publishers")
	fs.Int("size", 200, "message bytes per record")
	fs.Int("rate", 0, "records per second in all (0: as fast as possible)")
	fs.String("root", "", "directory for the file sink (default: a temporary directory, removed afterwards)")
	fs.Duration("timeout", 30*time.Second, "give up when the files stop growing for this long")
	fs.Bool("json", false, "print one JSON object instead of a table")
	fs.String("profile", "", "write CPU profiles (publishers.pprof, broker.pprof, filesink.pprof) into this directory")
	fs.Int("equipments", 1, "records cycle through this many equipments, one record each in turn (a publisher serving many instruments)")
	fs.Int("batch", 0, "most records per message for msgpack and json payloads (1: batching off); 0: the publisher's default")
	fs.String("payload", "msgpack", "what the publishers send: msgpack or json (logbus publishers, batched),\ndistlog (distlog's ZmqHandler JSON, one record per message) or logbook (logbook's single JSON frame)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: logbus bench [flags]\n\nEnd-to-end load: publishers → broker → file sink on disk, the broker and\nthe file sink as separate processes. Reports records/s, records lost,\nend-to-end latency (publish to fan-out delivery) and CPU and memory per\ncomponent (\"publishers\" is the bench process itself: the publishers, the\nlatency probe and the watcher counting lines in the files).\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return cli.ExitOK
		}
		fmt.Fprintf(stderr, "logbus bench: %v (see logbus bench --help)\n", err)
		return cli.ExitUsage
	}
	v, err := cli.Load(fs, "")
	if err != nil {
		fmt.Fprintf(stderr, "logbus bench: %v\n", err)
		return cli.ExitUsage
	}
	cfg := benchConfig{Records: v.GetInt("records"), Publishers: v.GetInt("publishers"), Size: v.GetInt("size"),
		Rate: v.GetInt("rate"), Root: v.GetString("root"),
		Timeout: v.GetDuration("timeout"), Profile: v.GetString("profile"), Payload: v.GetString("payload"), Equipments: v.GetInt("equipments"), Batch: v.GetInt("batch"), JSON: v.GetBool("json")}
	if !slices.Contains([]string{"msgpack", "json", "distlog", "logbook"}, cfg.Payload) {
		fmt.Fprintf(stderr, "logbus bench: --payload %q: want msgpack, json, distlog or logbook\n", cfg.Payload)
		return cli.ExitUsage
	}
	if cfg.Records <= 0 || cfg.Publishers <= 0 || cfg.Size <= 0 || cfg.Rate < 0 || cfg.Batch < 0 || cfg.Equipments <= 0 || cfg.Equipments > 1000 {
		fmt.Fprintln(stderr, "logbus bench: --records, --publishers and --size must be positive, --rate not negative, --equipments 1 to 1000")
		return cli.ExitUsage
	}
	res, err := runBench(cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "logbus bench: %v\n", err)
		return cli.ExitFailure
	}
	if cfg.JSON {
		b, err := json.Marshal(res)
		if err != nil {
			fmt.Fprintf(stderr, "logbus bench: %v\n", err)
			return cli.ExitFailure
		}
		fmt.Fprintln(stdout, string(b))
	} else {
		printBench(stdout, res)
	}
	if res.Lost > 0 {
		return cli.ExitFailure
	}
	return cli.ExitOK
}

func printBench(w io.Writer, r benchResult) {
	fmt.Fprintf(w, "load            %d publishers x %d records, %d-byte messages\n", r.Publishers, r.Records/r.Publishers, r.RecordBytes)
	fmt.Fprintf(w, "throughput      %.0f records/s into files (%.2f s)\n", r.RecordsPerSec, r.Seconds)
	fmt.Fprintf(w, "lost            %d (dropped at publishers: %d)\n", r.Lost, r.DroppedAtPub)
	fmt.Fprintf(w, "batching        %d broker messages, %.1f records each\n", r.BrokerMsgs, float64(r.Records)/float64(max(r.BrokerMsgs, 1)))
	fmt.Fprintf(w, "latency         p50 %.2f ms, p99 %.2f ms (publish to fan-out delivery, %d samples)\n", r.P50ms, r.P99ms, r.LatencyN)
	for _, c := range []string{"publishers", "broker", "filesink"} {
		fmt.Fprintf(w, "%-15s %.2f CPU s (%.2f µs per record), peak RSS %.1f MiB\n", c, r.CPUSeconds[c],
			r.CPUSeconds[c]*1e6/float64(max(r.Records, 1)), r.PeakRSSMiB[c])
	}
}

// component is a process started from this executable.
type component struct {
	cmd  *exec.Cmd
	http string
}

func startComponent(self string, args []string, profile string, stderr io.Writer) (*component, error) {
	cmd := exec.Command(self, args...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if profile != "" {
		cmd.Env = append(os.Environ(), profileEnv+"="+profile)
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &component{cmd: cmd}, nil
}

// stop ends the child with SIGTERM (graceful) and returns its usage.
func (c *component) stop() (cpu, rssMiB float64, err error) {
	if err := terminate(c.cmd.Process); err != nil {
		return 0, 0, err
	}
	werr := c.cmd.Wait()
	cpu, rssMiB = childUsage(c.cmd.ProcessState)
	return cpu, rssMiB, werr
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

func metricValue(base, name string) (v float64, err error) {
	resp, err := http.Get("http://" + base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, resp.Body.Close()) }()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == name {
			return strconv.ParseFloat(f[1], 64)
		}
	}
	return 0, fmt.Errorf("metric %s not found", name)
}

func runBench(cfg benchConfig, stderr io.Writer) (res benchResult, err error) {
	self, err := os.Executable()
	if err != nil {
		return res, err
	}
	root := cfg.Root
	if root == "" {
		if root, err = os.MkdirTemp("", "logbus-bench"); err != nil {
			return res, err
		}
		defer func() {
			if rerr := os.RemoveAll(root); rerr != nil && err == nil {
				err = rerr
			}
		}()
	}
	var addrs [5]string
	for i := range addrs {
		if addrs[i], err = freeAddr(); err != nil {
			return res, err
		}
	}
	ingest, fanout, archive := "tcp://"+addrs[0], "tcp://"+addrs[1], "tcp://"+addrs[2]
	if cfg.Profile != "" {
		if err := os.MkdirAll(cfg.Profile, 0o755); err != nil {
			return res, fmt.Errorf("--profile: %w", err)
		}
	}
	profile := func(name string) string {
		if cfg.Profile == "" {
			return ""
		}
		return filepath.Join(cfg.Profile, name+".pprof")
	}
	brk, err := startComponent(self, []string{"broker", "--ingest", ingest, "--fanout", fanout, "--archive", archive,
		"--http", addrs[3], "--log-level", "warn"}, profile("broker"), stderr)
	if err != nil {
		return res, err
	}
	sink, err := startComponent(self, []string{"filesink", "--connect", archive, "--root", root, "--http", addrs[4], "--log-level", "warn"}, profile("filesink"), stderr)
	if err != nil {
		return res, errors.Join(err, brk.cmd.Process.Kill())
	}
	brk.http, sink.http = addrs[3], addrs[4]
	res.CPUSeconds, res.PeakRSSMiB = map[string]float64{}, map[string]float64{}
	defer func() {
		for name, c := range map[string]*component{"filesink": sink, "broker": brk} {
			cpu, rss, cerr := c.stop()
			res.CPUSeconds[name], res.PeakRSSMiB[name] = cpu, rss
			if cerr != nil && err == nil {
				err = fmt.Errorf("%s: %w", name, cerr)
			}
		}
	}()

	// A probe on the fan-out measures latency; records carry their
	// publish time.
	// The probe subscribes by topic to the 1 % of records tagged for it,
	// so that measuring costs the system under test little.
	// Python clients put no equipment in the topic: for their payloads the
	// probe takes every record and keeps the tagged ones.
	python := cfg.Payload == "distlog" || cfg.Payload == "logbook"
	probe, err := subscriber.Dial(context.Background(), fanout, &subscriber.Options{QueueMessages: 100000,
		Filter: topic.Filter{Equipments: []string{probeEquipment}}, TopicRouting: !python})
	if err != nil {
		return res, err
	}
	defer func() {
		if cerr := probe.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	warm, err := publisher.New(ingest, &publisher.Options{Host: "bench-warm-up"})
	if err != nil {
		return res, err
	}
	deadline := time.Now().Add(15 * time.Second)
	for { // both subscribers (the sink and the probe) joined
		warm.Publish(&logbus.Record{Level: logbus.LevelDebug, Message: "warm-up", Envelope: logbus.Envelope{Equipment: probeEquipment}})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_, perr := probe.Next(ctx)
		cancel()
		written, _ := metricValue(sink.http, "logbus_filesink_records_written_total")
		if perr == nil && written > 0 {
			break
		}
		if time.Now().After(deadline) {
			return res, errors.New("the broker or the file sink did not come up")
		}
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
	werr := warm.Close(wctx)
	wcancel()
	if werr != nil {
		return res, werr
	}

	var lat []time.Duration
	var latMu sync.Mutex
	probeCtx, stopProbe := context.WithCancel(context.Background())
	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		for {
			ev, err := probe.Next(probeCtx)
			if err != nil {
				return
			}
			if ev.Kind == subscriber.KindRecord && ev.Record.Message != "warm-up" {
				d := time.Since(ev.Record.Time)
				latMu.Lock()
				lat = append(lat, d)
				latMu.Unlock()
			}
		}
	}()

	total := cfg.Records * cfg.Publishers
	stopProfile, err := startProfile(profile("publishers"))
	if err != nil {
		stopProbe()
		<-probeDone
		return res, err
	}
	cpu0 := selfCPU()
	start := time.Now()
	dropped, err := publish(cfg, ingest)
	err = errors.Join(err, stopProfile())
	if err != nil {
		stopProbe()
		<-probeDone
		return res, err
	}
	// Wait until the bench file holds every record, or stops growing.
	counters := make([]lineCounter, cfg.Equipments+1) // the last: the probe's file
	lines, last, lastChange := 0, -1, time.Now()
	for lines < total {
		// (Warm-up records come from another host: another file.)
		lines = counters[cfg.Equipments].count(filepath.Join(root, probeEquipment, "bench-host.log"))
		for e := range cfg.Equipments {
			lines += counters[e].count(filepath.Join(root, benchEquipment(e), "bench-host.log"))
		}
		if lines != last {
			last, lastChange = lines, time.Now()
		} else if time.Since(lastChange) > cfg.Timeout {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	var cerrs []error
	for i := range counters {
		cerrs = append(cerrs, counters[i].close())
	}
	if err := errors.Join(cerrs...); err != nil {
		stopProbe()
		<-probeDone
		return res, err
	}
	msgs, _ := metricValue(brk.http, "logbus_broker_messages_forwarded_total")
	stopProbe()
	<-probeDone
	pubCPU, pubRSS := selfUsage(cpu0)

	latMu.Lock()
	slices.Sort(lat)
	q := func(f float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[int(f*float64(len(lat)-1))].Microseconds()) / 1000
	}
	res = benchResult{
		Payload: cfg.Payload, Equipments: cfg.Equipments, Batch: cfg.Batch, Publishers: cfg.Publishers, Records: total, RecordBytes: cfg.Size,
		Seconds: elapsed.Seconds(), RecordsPerSec: float64(lines) / elapsed.Seconds(), Lost: total - lines,
		DroppedAtPub: dropped, P50ms: q(0.5), P99ms: q(0.99), LatencyN: len(lat), BrokerMsgs: int(msgs),
		CPUSeconds: res.CPUSeconds, PeakRSSMiB: res.PeakRSSMiB,
	}
	latMu.Unlock()
	res.CPUSeconds["publishers"], res.PeakRSSMiB["publishers"] = pubCPU, pubRSS
	return res, nil
}

// lineCounter counts the lines of a growing file, reading only what was
// appended since the last call. It keeps the file open until close.
type lineCounter struct {
	f     *os.File
	off   int64
	lines int
	buf   []byte
}

func (c *lineCounter) count(path string) int {
	if c.f == nil {
		f, err := os.Open(path)
		if err != nil {
			return c.lines // not created yet
		}
		c.f, c.buf = f, make([]byte, 1<<20)
	}
	for {
		k, err := c.f.ReadAt(c.buf, c.off)
		c.off += int64(k)
		for _, b := range c.buf[:k] {
			if b == '\n' {
				c.lines++
			}
		}
		if err != nil || k == 0 {
			return c.lines
		}
	}
}

func (c *lineCounter) close() error {
	if c.f == nil {
		return nil
	}
	return c.f.Close()
}

// publish runs the publishers and returns how many records they dropped.
func publish(cfg benchConfig, ingest string) (uint64, error) {
	msg := strings.Repeat("x", cfg.Size)
	var wg sync.WaitGroup
	var dropped atomic.Uint64
	errs := make(chan error, cfg.Publishers)
	perPub := 0.0
	if cfg.Rate > 0 {
		perPub = float64(cfg.Rate) / float64(cfg.Publishers)
	}
	for range cfg.Publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n uint64
			var err error
			switch cfg.Payload {
			case "distlog", "logbook":
				err = publishPython(ingest, cfg.Payload, cfg.Records, cfg.Equipments, msg, perPub)
			default:
				enc := topic.Msgpack
				if cfg.Payload == "json" {
					enc = topic.JSON
				}
				n, err = publishOne(ingest, enc, cfg.Records, cfg.Equipments, cfg.Batch, msg, perPub)
			}
			dropped.Add(n)
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return dropped.Load(), <-errs
}

// pacer spaces records to a rate, in bursts of a millisecond.
type pacer struct {
	rate  float64
	start time.Time
}

func (p *pacer) wait(sent int) {
	if p.rate <= 0 {
		return
	}
	due := p.start.Add(time.Duration(float64(sent) / p.rate * float64(time.Second)))
	if d := time.Until(due); d > time.Millisecond {
		time.Sleep(d)
	}
}

// probeEquipment tags the records the latency probe receives: one in
// probeEvery.
const (
	probeEquipment = "bench-probe"
	probeEvery     = 100
)

// benchEquipment names the bench's equipment e: "bench" for the first
// (the one equipment of a default run), "bench-<e>" for the others.
func benchEquipment(e int) string {
	if e == 0 {
		return "bench"
	}
	return "bench-" + strconv.Itoa(e)
}

// benchRecord fills r with record i. One record is reused per
// publisher (the publisher encodes it before Publish returns), so the
// load generator itself allocates nothing per record.
func benchRecord(r *logbus.Record, msg string, i, equipments int) {
	eq := benchEquipment(i % equipments)
	if i%probeEvery == 0 {
		eq = probeEquipment
	}
	if len(r.Attrs) != 1 {
		r.Attrs = make([]logbus.Attr, 1)
	}
	*r = logbus.Record{
		Envelope: logbus.Envelope{Time: time.Now(), Host: "bench-host", Equipment: eq},
		Level:    logbus.LevelInfo, Logger: "bench", Message: msg, Attrs: r.Attrs,
	}
	r.Attrs[0] = logbus.Attr{Key: "i", Value: logbus.IntValue(int64(i))}
}

// publishOne sends n records through a logbus publisher and returns the
// records it dropped.
func publishOne(ingest string, enc topic.Encoding, n, equipments, batch int, msg string, rate float64) (uint64, error) {
	p, err := publisher.New(ingest, &publisher.Options{Host: "bench-host", Encoding: enc, Batch: batch})
	if err != nil {
		return 0, err
	}
	pace := pacer{rate: rate, start: time.Now()}
	var r logbus.Record
	for i := range n {
		pace.wait(i)
		benchRecord(&r, msg, i, equipments)
		// The no-drop path: wait for queue room rather than drop.
		for !p.PublishWait(context.Background(), &r, time.Second) {
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = p.Close(ctx)
	return p.Stats().Dropped.Total(), err
}

// publishPython sends n records as a Python client does: distlog's
// ZmqHandler ([PLJ, LogRecord.__dict__ as JSON], one record per message)
// or logbook's ZeroMQHandler (one JSON frame: the broker gives it its
// topic). It waits for room (a zmtp PUSH with a deep queue), so it drops
// nothing.
func publishPython(ingest, kind string, n, equipments int, msg string, rate float64) error {
	s, err := zmtp.NewSocket(zmtp.PUSH, &zmtp.Options{SendHWM: 10000, Linger: time.Minute})
	if err != nil {
		return err
	}
	if err := s.Connect(ingest); err != nil {
		return errors.Join(err, s.Close())
	}
	pace := pacer{rate: rate, start: time.Now()}
	quoted := strconv.Quote(msg) // the bench's message is ASCII: Go's quoting is JSON's
	var buf []byte
	for i := range n {
		pace.wait(i)
		eq := benchEquipment(i % equipments)
		if i%probeEvery == 0 {
			eq = probeEquipment
		}
		now := time.Now()
		buf = buf[:0]
		var m zmtp.Msg
		if kind == "distlog" {
			buf = append(buf, `{"name": "bench", "msg": `...)
			buf = append(buf, quoted...)
			buf = append(buf, `, "args": null, "levelname": "INFO", "levelno": 20, "pathname": "/opt/lab/bench.py", "filename": "bench.py", "module": "bench", "exc_info": null, "exc_text": null, "stack_info": null, "lineno": 61, "funcName": "run", "created": `...)
			buf = strconv.AppendFloat(buf, float64(now.UnixMicro())/1e6, 'f', 6, 64)
			buf = append(buf, `, "msecs": 479.0, "relativeCreated": 591.7487144470215, "thread": 139911978836032, "threadName": "MainThread", "processName": "MainProcess", "process": 11861, "context": null, "message": `...)
			buf = append(buf, quoted...)
			buf = append(buf, `, "hostname": "bench-host", "equipment_id": "`...)
			buf = append(buf, eq...)
			buf = append(buf, `", "i": `...)
			buf = strconv.AppendInt(buf, int64(i), 10)
			buf = append(buf, '}')
			m = zmtp.Msg{[]byte("PLJ"), buf}
		} else {
			buf = append(buf, `{"channel": "bench", "msg": `...)
			buf = append(buf, quoted...)
			buf = append(buf, `, "args": [], "kwargs": {}, "level": 11, "extra": {"hostname": "bench-host", "equipment_id": "`...)
			buf = append(buf, eq...)
			buf = append(buf, `", "i": `...)
			buf = strconv.AppendInt(buf, int64(i), 10)
			buf = append(buf, `}, "frame_correction": 0, "process": 12024, "heavy_initialized": true, "time": "`...)
			buf = now.UTC().AppendFormat(buf, "2006-01-02T15:04:05.000000Z")
			buf = append(buf, `", "formatted_exception": null, "module": "__main__", "exception_message": null, "filename": "/opt/lab/bench.py", "greenlet": 140401345765440, "message": `...)
			buf = append(buf, quoted...)
			buf = append(buf, `, "process_name": null, "exception_name": null, "thread_name": "MainThread", "lineno": 57, "func_name": "main", "thread": 140401345765440, "information_pulled": true}`...)
			m = zmtp.Msg{buf}
		}
		if err := s.Send(context.Background(), m); err != nil {
			return errors.Join(err, s.Close())
		}
	}
	return s.Close() // lingers until the queue is written
}
