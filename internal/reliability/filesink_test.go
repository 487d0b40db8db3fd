package reliability

import (
	"context"
	"fmt"
	"io"
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
)

func metricsMatching(t *testing.T, addr, substr string) string {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, substr) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func lines(path, substr string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

// TestFilesinkRestart: the file sink is stopped mid-stream and started
// again; while no archiver is subscribed the broker holds messages back,
// so the files end up with every record and no gap.
func TestFilesinkRestart(t *testing.T) {
	a := newBrokerAddrs(t)
	startBroker(t, a)
	root := t.TempDir()
	sinkArgs := []string{"filesink", "--connect", a.archive, "--root", root, "--http", "-", "--log-level", "warn"}
	sink := startProc(t, sinkArgs...)
	pub := newPub(t, a.ingest, &publisher.Options{QueueRecords: 100000})
	central := filepath.Join(root, "central.log")
	testsupport.WaitFor(t, 15*time.Second, "sink joined", func() bool {
		pub.Publish(&logbus.Record{Message: "probe"})
		return lines(central, "probe") > 0
	})
	const n = 20000
	for i := range n {
		pub.Publish(&logbus.Record{Message: fmt.Sprintf("rec %d", i), Envelope: logbus.Envelope{Equipment: "scope-3", Host: "lab-7"}})
		if i == n/2 {
			if err := sink.kill(syscall.SIGTERM); err != nil {
				t.Fatalf("sink exit after SIGTERM: %v", err)
			}
			sink.start()
		}
		if i%1000 == 999 {
			time.Sleep(time.Millisecond)
		}
	}
	file := filepath.Join(root, "scope-3", "lab-7.log")
	testsupport.Eventually(30*time.Second, func() bool { return lines(file, "rec ") >= n }) // checked below
	if got := lines(file, "rec "); got != n {
		t.Errorf("%d lines for %d records; broker archive counters:\n%s", got, n, metricsMatching(t, a.http, `endpoint="archive"`))
	}
	if g := lines(central, "GAP "); g != 0 {
		b, _ := os.ReadFile(central)
		t.Errorf("%d gaps reported:\n%s", g, b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pub.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sink.kill(syscall.SIGTERM); err != nil {
		t.Errorf("sink exit: %v", err)
	}
}

// TestFilesinkKill9ReportsLoss: after kill -9 of the file sink mid-stream,
// the records that never reached the file are all inside the gaps the
// restarted sink reports (it resumes from its positions file), so no loss
// is silent.
func TestFilesinkKill9ReportsLoss(t *testing.T) {
	a := newBrokerAddrs(t)
	startBroker(t, a)
	root := t.TempDir()
	sink := startProc(t, "filesink", "--connect", a.archive, "--root", root, "--http", "-", "--log-level", "warn")
	pub := newPub(t, a.ingest, &publisher.Options{QueueRecords: 100000})
	central := filepath.Join(root, "central.log")
	testsupport.WaitFor(t, 15*time.Second, "sink joined", func() bool {
		pub.Publish(&logbus.Record{Message: "probe"})
		return lines(central, "probe") > 0
	})
	file := filepath.Join(root, "scope-3", "lab-7.log")
	rec := func(msg string) *logbus.Record {
		return &logbus.Record{Message: msg, Envelope: logbus.Envelope{Equipment: "scope-3", Host: "lab-7"}}
	}
	const n = 20000
	for i := range n {
		pub.Publish(rec(fmt.Sprintf("rec %d", i)))
		if i == n/2 {
			if err := sink.kill(syscall.SIGKILL); err == nil {
				t.Fatal("sink survived kill -9")
			}
			sink.start()
		}
		if i%1000 == 999 {
			time.Sleep(time.Millisecond)
		}
	}
	// A record after the stream reveals any loss at its end.
	testsupport.WaitFor(t, 30*time.Second, "a record after the stream", func() bool {
		pub.Publish(rec("tail"))
		return lines(file, " tail") > 0
	})
	// The records are the topic's numbers 1..n (seq = i+1).
	present := make([]bool, n)
	for _, l := range strings.Split(readFile(t, file), "\n") {
		if _, after, ok := strings.Cut(l, " rec "); ok {
			var i int
			if _, err := fmt.Sscanf(after, "%d", &i); err == nil && i >= 0 && i < n {
				present[i] = true
			}
		}
	}
	reported := make([]bool, n)
	gaps := 0
	for _, l := range strings.Split(readFile(t, central), "\n") {
		_, g, ok := strings.Cut(l, "GAP ")
		if !ok || !strings.Contains(g, "/scope-3/") {
			continue
		}
		var missing, after uint64
		for _, f := range strings.Fields(g) {
			if v, ok := strings.CutPrefix(f, "missing="); ok {
				missing, _ = strconv.ParseUint(v, 10, 64)
			}
			if v, ok := strings.CutPrefix(f, "after="); ok {
				after, _ = strconv.ParseUint(v, 10, 64)
			}
		}
		gaps++
		for s := after + 1; s <= after+missing && s <= n; s++ {
			reported[s-1] = true
		}
	}
	lost, silent, over := 0, 0, 0
	for i := range n {
		switch {
		case !present[i] && !reported[i]:
			silent++
		case !present[i]:
			lost++
		case reported[i]:
			over++
		}
	}
	t.Logf("kill -9 of the sink: %d of %d records lost, all inside %d reported gaps; %d reported but written (the positions file may lag the files a little)",
		lost, n, gaps, over)
	if silent > 0 {
		t.Errorf("%d records lost without a gap report", silent)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
