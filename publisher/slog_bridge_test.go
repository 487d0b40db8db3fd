package publisher

import (
	"errors"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/logbus/logbus"
)

type nilErr struct{ msg string }

func (e *nilErr) Error() string { return e.msg }

func TestSlogBridge(t *testing.T) {
	var bad *nilErr
	attrs := []slog.Attr{
		slog.String("s", "x"), slog.Int("i", -3), slog.Uint64("u", 1<<63), slog.Float64("f", 1.5),
		slog.Bool("b", true), slog.Duration("d", time.Second), slog.Time("t", time.Unix(5, 0)),
		slog.Any("err", errors.New("boom")), slog.Any("raw", []byte{1}), slog.Any("big", new(big.Int).Lsh(big.NewInt(1), 80)),
		slog.Any("nilerr", bad), slog.Group("g", slog.Int("a", 1)), slog.Group("empty"), {},
		slog.Group("", slog.Int("inlined", 2)),
	}
	var got []logbus.Attr
	for _, a := range attrs {
		got = appendSlogAttr(got, a)
	}
	want := []logbus.Attr{
		{Key: "s", Value: logbus.StringValue("x")}, {Key: "i", Value: logbus.IntValue(-3)}, {Key: "u", Value: logbus.Uint64Value(1 << 63)}, {Key: "f", Value: logbus.FloatValue(1.5)},
		{Key: "b", Value: logbus.BoolValue(true)}, {Key: "d", Value: logbus.DurationValue(time.Second)}, {Key: "t", Value: logbus.TimeValue(time.Unix(5, 0))},
		{Key: "err", Value: logbus.StringValue("boom")}, {Key: "raw", Value: logbus.BytesValue([]byte{1})}, {Key: "big", Value: logbus.BigIntValue(new(big.Int).Lsh(big.NewInt(1), 80))},
		{Key: "g", Value: logbus.GroupValue(logbus.Attr{Key: "a", Value: logbus.IntValue(1)})}, {Key: "inlined", Value: logbus.IntValue(2)},
	}
	// The nil pointer's Error panics: the attribute becomes a marker.
	if len(got) != len(want)+1 {
		t.Fatalf("got %d attrs: %+v", len(got), got)
	}
	marker := got[10]
	got = append(got[:10], got[11:]...)
	if marker.Key != "nilerr" || marker.Value.Kind() != logbus.KindString || marker.Value.Str()[:7] != "!PANIC:" {
		t.Errorf("nil error became %+v", marker)
	}
	if !logbus.AttrsEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
