package publisher

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
)

func relayAll(t *testing.T, input string, attrs ...slog.Attr) []logbus.Record {
	t.Helper()
	pl, ep := startPull(t, "")
	p := newPublisher(t, ep, nil)
	if err := p.Relay(context.Background(), strings.NewReader(input), attrs...); err != nil {
		t.Fatal(err)
	}
	n := strings.Count(input, "\n")
	if !strings.HasSuffix(input, "\n") && input != "" {
		n++
	}
	return pl.records(n, 10*time.Second)
}

func TestRelayMixedLines(t *testing.T) {
	huge := strings.Repeat("é", MaxRelayLine) // 2 bytes each: twice the limit
	input := `{"level":"WARNING","message":"motor hot","context":{"equipment_id":"stage-2","temp":71.5}}` + "\n" +
		"plain text from a library\r\n" +
		`{"level":"BOGUS","message":"odd level"}` + "\n" +
		"bad utf8 \xff\xfe here\n" +
		`{"level":"ERROR","message":"broken json` + "\n" +
		huge + "\n" +
		`{"level":"CRITICAL","message":"last words"` // child died mid-line, no newline
	recs := relayAll(t, input, slog.String("child", "worker-1"), slog.Int("pid", 4242))
	if len(recs) != 7 {
		t.Fatalf("%d records", len(recs))
	}
	check := func(i int, level logbus.Level, msgPrefix string) {
		t.Helper()
		r := recs[i]
		if r.Level != level || !strings.HasPrefix(r.Message, msgPrefix) {
			t.Errorf("record %d: %v %q, want %v %q…", i, r.Level, r.Message[:min(len(r.Message), 60)], level, msgPrefix)
		}
		if v, _ := r.Attr("child"); v.Str() != "worker-1" || r.PID != 4242 || r.Time.IsZero() {
			t.Errorf("record %d: relay attrs missing: %+v", i, r.Envelope)
		}
	}
	check(0, logbus.LevelWarn, "motor hot")
	if recs[0].Equipment != "stage-2" {
		t.Errorf("context equipment not lifted: %+v", recs[0].Envelope)
	}
	if v, _ := recs[0].Attr("temp"); v.Float64() != 71.5 {
		t.Errorf("context not merged: %+v", recs[0].Attrs)
	}
	check(1, logbus.LevelInfo, "plain text from a library")
	if strings.HasSuffix(recs[1].Message, "\r") {
		t.Error("CR kept")
	}
	check(2, logbus.LevelInfo, "odd level")
	check(3, logbus.LevelInfo, "bad utf8 \uFFFD here")
	check(4, logbus.LevelInfo, `{"level":"ERROR","message":"broken json`)
	check(5, logbus.LevelInfo, "éé")
	if v, _ := recs[5].Attr("logbus.truncated_bytes"); v.Int64() != int64(len(huge)-MaxRelayMessage) || !strings.HasSuffix(recs[5].Message, "bytes]") {
		t.Errorf("truncation marker: %v, message tail %q", v, recs[5].Message[len(recs[5].Message)-30:])
	}
	if !strings.HasPrefix(recs[5].Message, strings.Repeat("é", MaxRelayMessage/2)) || strings.ContainsRune(recs[5].Message, '\uFFFD') {
		t.Error("cut line lost content or split a character")
	}
	check(6, logbus.LevelInfo, `{"level":"CRITICAL","message":"last words"`)
}

// TestRelayLogbookPipe relays the byte stream logbook_aiopipe sent.
func TestRelayLogbookPipe(t *testing.T) {
	raw, err := readVectorFile("logbook_aiopipe.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	recs := relayAll(t, string(raw))
	if len(recs) != 4 {
		t.Fatalf("%d records", len(recs))
	}
	if recs[1].Level != logbus.LevelError || recs[1].Logger != "child.proc" || !strings.Contains(recs[1].Error, "KeyError") {
		t.Errorf("logbook record: %+v", recs[1])
	}
	if recs[3].Time.Nanosecond() != 5123000 {
		t.Errorf("logbook time %v", recs[3].Time)
	}
}

// TestWorkerHandlerToRelay: what a Go worker writes, its parent relays
// with level, message, attributes and run context intact.
func TestWorkerHandlerToRelay(t *testing.T) {
	var pipe bytes.Buffer
	worker := slog.New(NewWorkerHandler(&pipe, slog.LevelDebug)).With("job", 7).WithGroup("step")
	ctx := WithRun(WithEquipment(context.Background(), "scope-3"), logbus.Run{ID: "r-1"})
	worker.DebugContext(ctx, "calibrating", "axis", "x")
	worker.ErrorContext(ctx, "failed\nwith two lines", "code", 3)
	if n := strings.Count(pipe.String(), "\n"); n != 2 {
		t.Fatalf("%d lines: %q", n, pipe.String())
	}
	recs := relayAll(t, pipe.String())
	if recs[0].Level != logbus.LevelDebug || recs[0].Message != "calibrating" || recs[0].Equipment != "scope-3" || recs[0].Run.ID != "r-1" {
		t.Errorf("record 0: %+v", recs[0])
	}
	if v, _ := recs[0].Attr("job"); v.Int64() != 7 {
		t.Errorf("job attr: %+v", recs[0].Attrs)
	}
	if v, _ := recs[0].Attr("step"); v.Kind() != logbus.KindGroup || v.Group()[0].Key != "axis" {
		t.Errorf("group: %+v", recs[0].Attrs)
	}
	if recs[1].Level != logbus.LevelError || recs[1].Message != "failed\nwith two lines" {
		t.Errorf("record 1: %+v", recs[1])
	}
}

func TestRelayStopsOnContext(t *testing.T) {
	_, ep := startPull(t, "")
	p := newPublisher(t, ep, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Relay(ctx, strings.NewReader("a\nb\n")); err != context.Canceled {
		t.Errorf("err %v", err)
	}
}

func readVectorFile(name string) ([]byte, error) {
	f, err := openVector(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// TestRelayTakesRunContext (issue input: `logbus run --equipment scope-3
// -- sh -c 'echo {"level":"WARN",…} >&2'`): the equipment and run of
// Relay's context go into records that name none; a line naming its own
// equipment keeps it.
func TestRelayTakesRunContext(t *testing.T) {
	pl, ep := startPull(t, "")
	p := newPublisher(t, ep, nil)
	ctx := WithRun(WithEquipment(context.Background(), "scope-3"), logbus.Run{Project: "p1", ID: "r7"})
	input := `{"level":"WARN","message":"motor hot","context":{}}` + "\n" +
		`{"level":"INFO","message":"mine","context":{"equipment_id":"stage-2"}}` + "\n" +
		"plain text\n"
	if err := p.Relay(ctx, strings.NewReader(input)); err != nil {
		t.Fatal(err)
	}
	// Batches are per topic: records of different equipments may come in
	// another order.
	byMsg := map[string]topicRecord{}
	for _, r := range pl.topicRecords(3, 10*time.Second) {
		byMsg[r.Message] = r
	}
	for msg, want := range map[string]string{"motor hot": "scope-3", "mine": "stage-2", "plain text": "scope-3"} {
		r := byMsg[msg]
		if r.Equipment != want || r.topic != "PLM/"+want+"/" {
			t.Errorf("record %q: equipment %q topic %q, want %q", msg, r.Equipment, r.topic, want)
		}
		if r.Run.Project != "p1" || r.Run.ID != "r7" {
			t.Errorf("record %q: run %+v", msg, r.Run)
		}
	}
	if byMsg["motor hot"].Level != logbus.LevelWarn {
		t.Errorf("level %v", byMsg["motor hot"].Level)
	}
}

// TestRelayLongLineKeepsRecord (issue input: an ERROR worker line whose
// message is 70 KB): the line is parsed whole; only the message is cut,
// with the marker; level, equipment and context stay.
func TestRelayLongLineKeepsRecord(t *testing.T) {
	msg := strings.Repeat("m", 70_000)
	input := `{"level":"ERROR","message":"` + msg + `","context":{"equipment_id":"scope-3","run_id":"r1","step":4}}` + "\n"
	recs := relayAll(t, input)
	r := recs[0]
	if r.Level != logbus.LevelError || r.Equipment != "scope-3" || r.Run.ID != "r1" {
		t.Fatalf("record %v %q %+v", r.Level, r.Equipment, r.Run)
	}
	if v, ok := r.Attr("step"); !ok || v.Int64() != 4 {
		t.Errorf("context lost: %v", r.Attrs)
	}
	if v, _ := r.Attr("logbus.truncated_bytes"); v.Int64() != int64(len(msg)-MaxRelayMessage) ||
		!strings.HasPrefix(r.Message, msg[:MaxRelayMessage]) || !strings.HasSuffix(r.Message, "bytes]") {
		t.Errorf("message of %d bytes, truncated %v", len(r.Message), v)
	}
}

// TestRelayBOMAndCRLF: a UTF-8 byte-order mark before the first line and
// CRLF line ends (a Windows tool) do not spoil the records.
func TestRelayBOMAndCRLF(t *testing.T) {
	input := "\uFEFF" + `{"level":"WARN","message":"first"}` + "\r\n" + `{"level":"ERROR","message":"second"}` + "\r\n"
	recs := relayAll(t, input)
	if recs[0].Level != logbus.LevelWarn || recs[0].Message != "first" || recs[1].Level != logbus.LevelError || recs[1].Message != "second" {
		t.Errorf("records %v %q, %v %q", recs[0].Level, recs[0].Message, recs[1].Level, recs[1].Message)
	}
}
