// Command benchtable runs the performance comparisons README's measured
// table reports, several rounds interleaved, and prints each row as the
// range of its same-round ratio: every comparison is against a yardstick
// measured in the same round (machines are shared and noisy), never
// against a number from another day.
//
//	go run ./internal/benchtable -rounds 3
//
// It runs `go test -bench` in codec, publisher and broker, `logbus bench`
// (built once), and, when libzmq's headers are installed
// (libzmq3-dev), the bench module's two-process libzmq PUSH→PULL. It
// takes about 90 s a round on two cores.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

var (
	rounds  = flag.Int("rounds", 3, "rounds; each row reports the range over them")
	records = flag.Int("records", 125000, "records per publisher in each logbus bench run")
	verbose = flag.Bool("v", false, "print each measurement as it is taken")
)

// round holds one round's measurements by name.
type round map[string]float64

func main() {
	flag.Parse()
	tmp, err := os.MkdirTemp("", "benchtable")
	if err != nil {
		fatal(err)
	}
	defer func() {
		if err := os.RemoveAll(tmp); err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
		}
	}()
	bin := filepath.Join(tmp, "logbus")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/logbus").CombinedOutput(); err != nil {
		fatal(fmt.Errorf("building logbus: %v\n%s", err, out))
	}
	zmqBin := filepath.Join(tmp, "bench")
	build := exec.Command("go", "build", "-o", zmqBin, ".")
	build.Dir = "bench"
	haveZMQ := build.Run() == nil
	if !haveZMQ {
		fmt.Fprintln(os.Stderr, "benchtable: the bench module does not build with libzmq (apt-get install libzmq3-dev): the libzmq rows are left out")
	}
	var rs []round
	for i := range *rounds {
		fmt.Fprintf(os.Stderr, "benchtable: round %d of %d\n", i+1, *rounds)
		r := round{}
		goBench(r, "./codec", `BenchmarkDecode$|BenchmarkDecodePython$|BenchmarkDecodeLogbook$`, "1s")
		goBench(r, "./publisher", `BenchmarkHandle$`, "1s")
		// Each broker case in a process of its own: within one process
		// the first case runs slower (a cold heap), skewing the ratios.
		for _, c := range []string{"stuck=0$", "stalled=50$", "prefixes=40x4096$"} {
			goBench(r, "./broker", "BenchmarkBrokerThroughput/publishers=4/"+c, "1000000x")
		}
		goBench(r, "./broker", "BenchmarkFanoutBurst/queue=64MiB", "1000000x")
		for _, name := range []string{"msgpack", "batch1", "distlog", "logbook", "json", "eq10"} {
			args := []string{"bench", "--json", "--records", strconv.Itoa(*records), "--publishers", "4"}
			switch name {
			case "batch1":
				args = append(args, "--batch", "1")
			case "eq10":
				args = append(args, "--equipments", "10")
			default:
				args = append(args, "--payload", name)
			}
			logbusBench(r, bin, name, args)
		}
		if haveZMQ {
			zmqBench(r, zmqBin)
		}
		rs = append(rs, r)
	}
	printTable(rs)
}

// benchLine matches a `go test -bench` result: its name and the rest.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+\d+\s+(.*)$`)

// goBench runs benchmarks and records each metric as "<name> <unit>".
func goBench(r round, pkg, pattern, benchtime string) {
	out := run("go", "test", "-run", "^$", "-bench", pattern, "-benchtime", benchtime, pkg)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err == nil {
				put(r, m[1]+" "+f[i+1], v)
			}
		}
	}
}

// logbusBench runs `logbus bench --json` and records its rate and losses.
func logbusBench(r round, bin, name string, args []string) {
	out := run(bin, args...)
	var res struct {
		RecordsPerSec float64 `json:"records_per_sec"`
		Lost          int     `json:"lost"`
	}
	if err := json.Unmarshal(lastLine(out), &res); err != nil {
		fatal(fmt.Errorf("logbus %s: %v\n%s", strings.Join(args, " "), err, out))
	}
	put(r, "e2e "+name, res.RecordsPerSec)
	put(r, "e2e "+name+" lost", float64(res.Lost))
}

// zmqBench runs the two-process libzmq PUSH→PULL.
func zmqBench(r round, bin string) {
	out := run(bin, "-impl", "libzmq", "-pattern", "pushpull-2proc", "-runs", "1")
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Split(l, "|"); len(f) > 4 && strings.TrimSpace(f[2]) == "pushpull-2proc" {
			v, err := strconv.ParseFloat(strings.TrimSpace(f[3]), 64)
			if err == nil {
				put(r, "libzmq 2proc", v)
			}
		}
	}
}

func put(r round, k string, v float64) {
	r[k] = v
	if *verbose {
		fmt.Fprintf(os.Stderr, "  %s = %g\n", k, v)
	}
}

func run(name string, args ...string) []byte {
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		fatal(fmt.Errorf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.Bytes()))
	}
	return out
}

func lastLine(b []byte) []byte {
	ls := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return ls[len(ls)-1]
}

// row is one line of the table: a ratio (or value) computed per round.
type row struct {
	what, goal string
	f          func(round) float64
	format     string
}

func printTable(rs []round) {
	ns := func(k string) func(round) float64 { return func(r round) float64 { return r[k+" ns/op"] } }
	ratio := func(a, b func(round) float64) func(round) float64 {
		return func(r round) float64 { return a(r) / b(r) }
	}
	val := func(k string) func(round) float64 { return func(r round) float64 { return r[k] } }
	rows := []row{
		{"decode logbus JSON / msgpack rate", "≥ 0.9", ratio(ns("BenchmarkDecode/M"), ns("BenchmarkDecode/J")), "%.2f"},
		{"decode distlog JSON / msgpack rate", "≥ 0.5", ratio(ns("BenchmarkDecode/M"), ns("BenchmarkDecodePython")), "%.2f"},
		{"decode logbook JSON / msgpack rate", "≥ 0.5", ratio(ns("BenchmarkDecode/M"), ns("BenchmarkDecodeLogbook")), "%.2f"},
		{"end to end, distlog / msgpack records/s", "≥ 0.8", ratio(val("e2e distlog"), val("e2e msgpack")), "%.2f"},
		{"end to end, logbook / msgpack records/s", "", ratio(val("e2e logbook"), val("e2e msgpack")), "%.2f"},
		{"end to end, logbus JSON / msgpack records/s", "", ratio(val("e2e json"), val("e2e msgpack")), "%.2f"},
		{"end to end msgpack records/s", "", val("e2e msgpack"), "%.0f"},
		{"end to end msgpack / libzmq bare 2-process msg/s", "≥ 1.2", ratio(val("e2e msgpack"), val("libzmq 2proc")), "%.2f"},
		{"end to end, one record per message / libzmq bare", "≥ 0.5", ratio(val("e2e batch1"), val("libzmq 2proc")), "%.2f"},
		{"slog Handle / slog.JSONHandler time", "≤ 1.0", ratio(ns("BenchmarkHandle/publisher.Handler"), ns("BenchmarkHandle/slog.JSONHandler")), "%.2f"},
		{"10 equipments interleaved / one equipment records/s", "≥ 0.9", ratio(val("e2e eq10"), val("e2e msgpack")), "%.2f"},
		{"fan-out burst, 4 dashboards keeping up on average: % dropped", "0", val("BenchmarkFanoutBurst/queue=64MiB %dropped"), "%.2f"},
		{"archive beside 50 stalled dashboards: time / none", "≤ 1.1", ratio(val("BenchmarkBrokerThroughput/publishers=4/stuck=0 records/s"), val("BenchmarkBrokerThroughput/publishers=4/stalled=50 records/s")), "%.2f"},
		{"archive beside 40 dashboards × 4096 unmatched prefixes: time / none", "≤ 1.1", ratio(val("BenchmarkBrokerThroughput/publishers=4/stuck=0 records/s"), val("BenchmarkBrokerThroughput/publishers=4/prefixes=40x4096 records/s")), "%.2f"},
	}
	fmt.Printf("| comparison (same round) | goal | %d rounds |\n|---|---|---|\n", len(rs))
	for _, rw := range rows {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, r := range rs {
			v := rw.f(r)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		cell := "not measured"
		if lo <= hi {
			cell = fmt.Sprintf(rw.format, lo)
			if s := fmt.Sprintf(rw.format, hi); s != cell {
				cell += "–" + s
			}
		}
		fmt.Printf("| %s | %s | %s |\n", rw.what, rw.goal, cell)
	}
	lost := 0.0
	for _, r := range rs {
		for k, v := range r {
			if strings.HasSuffix(k, " lost") {
				lost += v
			}
		}
	}
	fmt.Printf("\nrecords lost in all end-to-end runs: %.0f\n", lost)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "benchtable:", err)
	os.Exit(1)
}
