package dialect

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/jsonvalue"
)

func readLine(t *testing.T, line string) (Shape, logbus.Record) {
	t.Helper()
	v, err := jsonvalue.Parse([]byte(line), nil)
	if err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	var r logbus.Record
	shape := Detect(v.Group())
	Read(shape, v.Group(), &r)
	return shape, r
}

// TestDictStructuredLoggers: JSON lines of other structured loggers (a
// Go worker using slog.JSONHandler on stderr, zap, structlog,
// python-json-logger) keep their message, level, time and logger.
func TestDictStructuredLoggers(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Warn("stage drifting", "equipment_id", "stage-2", "um", 3.5)
	when := time.Date(2026, 11, 29, 12, 0, 0, 250_000_000, time.UTC)
	for _, c := range []struct {
		name, line       string
		level            logbus.Level
		message, logger  string
		time             time.Time // zero: not compared (slog's is now)
		error, equipment string
		attrs            []string
	}{
		{"slog", strings.TrimSpace(buf.String()), logbus.LevelWarn, "stage drifting", "", time.Time{}, "", "stage-2", []string{"um"}},
		{"zap", `{"level":"error","ts":1795953600.25,"caller":"motor/run.go:42","msg":"motor stalled","stacktrace":"main.run\n\t/src/motor/run.go:42"}`,
			logbus.LevelError, "motor stalled", "", when, "main.run\n\t/src/motor/run.go:42", "", []string{"caller"}},
		{"structlog", `{"event":"run started","level":"info","timestamp":"2026-11-29T12:00:00.25Z","logger":"wizard","run_id":"r7"}`,
			logbus.LevelInfo, "run started", "wizard", when, "", "", nil},
		{"python-json-logger", `{"asctime":"2026-11-29 12:00:00,250","levelname":"CRITICAL","name":"cam","message":"sensor lost","exc_info":"Traceback ..."}`,
			logbus.LevelCritical, "sensor lost", "cam", time.Time{}, "Traceback ...", "", []string{"asctime"}},
		{"bunyan (numeric level kept)", `{"name":"x","level":30,"msg":"hi","time":"2026-11-29T12:00:00.250Z","v":0}`,
			logbus.LevelInfo, "hi", "x", when, "", "", []string{"level", "v"}},
		{"by name, not place", `{"event":"door_open","msg":"Door opened","severity":"bogus","level":"dpanic"}`,
			logbus.LevelCritical, "Door opened", "", time.Time{}, "", "", []string{"event", "severity"}},
		{"an elapsed time is no time", `{"msg":"scan","time":0.42,"level":"alert"}`,
			logbus.LevelCritical, "scan", "", time.Time{}, "", "", []string{"time"}},
	} {
		shape, r := readLine(t, c.line)
		if shape != Dict {
			t.Errorf("%s: shape %v", c.name, shape)
		}
		if r.Level != c.level || r.Message != c.message || r.Logger != c.logger || r.Error != c.error || r.Equipment != c.equipment {
			t.Errorf("%s: %v %q logger %q error %q equipment %q", c.name, r.Level, r.Message, r.Logger, r.Error, r.Equipment)
		}
		if !c.time.IsZero() && !r.Time.Equal(c.time) || r.Time.IsZero() && c.name == "slog" {
			t.Errorf("%s: time %v, want %v", c.name, r.Time, c.time)
		}
		var keys []string
		for _, a := range r.Attrs {
			keys = append(keys, a.Key)
		}
		if strings.Join(keys, ",") != strings.Join(c.attrs, ",") {
			t.Errorf("%s: attributes %v, want %v", c.name, keys, c.attrs)
		}
	}
}

// TestWorkerLineBadTime: a worker line's time that is neither a number
// nor RFC 3339 is kept as an attribute, not dropped.
func TestWorkerLineBadTime(t *testing.T) {
	_, r := readLine(t, `{"level":"WARN","message":"m","time":"yesterday","context":{}}`)
	if v, ok := r.Attr("time"); !ok || v.Str() != "yesterday" || !r.Time.IsZero() {
		t.Errorf("time %v %v, record time %v", v, ok, r.Time)
	}
}
