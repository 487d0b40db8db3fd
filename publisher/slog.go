package publisher

import (
	"encoding"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/logbus/logbus"
)

// The slog bridge: slog's values and attributes become logbus's, once per
// record, following the handler rules of log/slog (see testing/slogtest).

// fromSlog converts a slog value. Scalars convert without allocating;
// LogValuers are resolved; among other values errors become their message,
// []byte stays bytes, *big.Int an integer, encoding.TextMarshaler and
// fmt.Stringer their text, and anything else fmt's %+v.
func fromSlog(v slog.Value) logbus.Value {
	if v.Kind() == slog.KindLogValuer {
		v = v.Resolve()
	}
	switch v.Kind() {
	case slog.KindString:
		return logbus.StringValue(v.String())
	case slog.KindInt64:
		return logbus.IntValue(v.Int64())
	case slog.KindUint64:
		return logbus.Uint64Value(v.Uint64())
	case slog.KindFloat64:
		return logbus.FloatValue(v.Float64())
	case slog.KindBool:
		return logbus.BoolValue(v.Bool())
	case slog.KindDuration:
		return logbus.DurationValue(v.Duration())
	case slog.KindTime:
		return logbus.TimeValue(v.Time())
	case slog.KindGroup:
		g := v.Group()
		attrs := make([]logbus.Attr, 0, len(g))
		for _, a := range g {
			attrs = appendSlogAttr(attrs, a)
		}
		return logbus.GroupValue(attrs...)
	}
	return anyValue(v.Any())
}

// appendSlogAttr appends a converted to attrs, following slog's rules for
// handlers: an empty attribute is skipped, a group with no members is
// skipped, and a group with an empty key is inlined.
func appendSlogAttr(attrs []logbus.Attr, a slog.Attr) []logbus.Attr {
	k := a.Value.Kind()
	if k == slog.KindLogValuer {
		a.Value = a.Value.Resolve()
		k = a.Value.Kind()
	}
	if a.Key == "" && k == slog.KindAny && a.Value.Any() == nil {
		return attrs // the empty slog.Attr
	}
	if k == slog.KindGroup {
		g := a.Value.Group()
		if len(g) == 0 {
			return attrs
		}
		if a.Key == "" {
			for _, m := range g {
				attrs = appendSlogAttr(attrs, m)
			}
			return attrs
		}
	}
	return append(attrs, logbus.Attr{Key: a.Key, Value: fromSlog(a.Value)})
}

// anyValue converts an arbitrary value; a method that panics (a nil
// pointer's Error, say) yields an error marker instead of a crash.
func anyValue(x any) (out logbus.Value) {
	defer func() {
		if p := recover(); p != nil {
			out = logbus.StringValue(fmt.Sprintf("!PANIC: %v", p))
		}
	}()
	switch v := x.(type) {
	case nil:
		return logbus.NullValue()
	case error:
		return logbus.StringValue(v.Error())
	case []byte:
		return logbus.BytesValue(v)
	case *big.Int:
		if v == nil {
			return logbus.NullValue()
		}
		return logbus.BigIntValue(v)
	case time.Time:
		return logbus.TimeValue(v)
	case logbus.Value:
		return v
	case []logbus.Value:
		return logbus.ListValue(v...)
	case []string:
		vs := make([]logbus.Value, len(v))
		for i, s := range v {
			vs[i] = logbus.StringValue(s)
		}
		return logbus.ListValue(vs...)
	case encoding.TextMarshaler:
		b, err := v.MarshalText()
		if err != nil {
			return logbus.StringValue("!ERROR:" + err.Error())
		}
		return logbus.StringValue(string(b))
	case fmt.Stringer:
		return logbus.StringValue(v.String())
	}
	return logbus.StringValue(fmt.Sprintf("%+v", x))
}

// addSlogAttr converts a and adds it to r like logbus.Record.AddAttr
// (the lab wizard's names fill the envelope), following slog's handler
// rules (empty attributes and groups skipped, empty-key groups inlined).
func addSlogAttr(r *logbus.Record, a slog.Attr) {
	n := len(r.Attrs)
	r.Attrs = appendSlogAttr(r.Attrs, a)
	j := n
	for i := n; i < len(r.Attrs); i++ {
		if !r.Envelope.TakeAttr(r.Attrs[i]) {
			r.Attrs[j] = r.Attrs[i]
			j++
		}
	}
	r.Attrs = r.Attrs[:j]
}
