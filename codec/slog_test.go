package codec

import (
	"errors"
	"log/slog"
	"math/big"
	"testing"
	"time"
)

type nilErr struct{ msg string }

func (e *nilErr) Error() string { return e.msg }

func TestFromSlog(t *testing.T) {
	var bad *nilErr
	attrs := []slog.Attr{
		slog.String("s", "x"), slog.Int("i", -3), slog.Uint64("u", 1<<63), slog.Float64("f", 1.5),
		slog.Bool("b", true), slog.Duration("d", time.Second), slog.Time("t", time.Unix(5, 0)),
		slog.Any("err", errors.New("boom")), slog.Any("raw", []byte{1}), slog.Any("big", new(big.Int).Lsh(big.NewInt(1), 80)),
		slog.Any("nilerr", bad), slog.Group("g", slog.Int("a", 1)), slog.Group("empty"), {},
		slog.Group("", slog.Int("inlined", 2)),
	}
	var got []Attr
	for _, a := range attrs {
		got = AppendSlogAttr(got, a)
	}
	want := []Attr{
		{"s", StringValue("x")}, {"i", IntValue(-3)}, {"u", Uint64Value(1 << 63)}, {"f", FloatValue(1.5)},
		{"b", BoolValue(true)}, {"d", DurationValue(time.Second)}, {"t", TimeValue(time.Unix(5, 0))},
		{"err", StringValue("boom")}, {"raw", BytesValue([]byte{1})}, {"big", BigIntValue(new(big.Int).Lsh(big.NewInt(1), 80))},
		{"g", GroupValue(Attr{"a", IntValue(1)})}, {"inlined", IntValue(2)},
	}
	// The nil pointer's Error panics: the attribute becomes a marker.
	if len(got) != len(want)+1 {
		t.Fatalf("got %d attrs: %+v", len(got), got)
	}
	marker := got[10]
	got = append(got[:10], got[11:]...)
	if marker.Key != "nilerr" || marker.Value.Kind() != KindString || marker.Value.Str()[:7] != "!PANIC:" {
		t.Errorf("nil error became %+v", marker)
	}
	if !AttrsEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
