package codec

import (
	"encoding"
	"fmt"
	"log/slog"
	"math/big"
	"time"
)

// FromSlog converts a slog value. Scalars convert without allocating;
// LogValuers are resolved; among other values errors become their message,
// []byte stays bytes, *big.Int an integer, encoding.TextMarshaler and
// fmt.Stringer their text, and anything else fmt's %+v.
func FromSlog(v slog.Value) Value {
	if v.Kind() == slog.KindLogValuer {
		v = v.Resolve()
	}
	switch v.Kind() {
	case slog.KindString:
		return StringValue(v.String())
	case slog.KindInt64:
		return IntValue(v.Int64())
	case slog.KindUint64:
		return Uint64Value(v.Uint64())
	case slog.KindFloat64:
		return FloatValue(v.Float64())
	case slog.KindBool:
		return BoolValue(v.Bool())
	case slog.KindDuration:
		return DurationValue(v.Duration())
	case slog.KindTime:
		return TimeValue(v.Time())
	case slog.KindGroup:
		g := v.Group()
		attrs := make([]Attr, 0, len(g))
		for _, a := range g {
			attrs = AppendSlogAttr(attrs, a)
		}
		return GroupValue(attrs...)
	}
	return anyValue(v.Any())
}

// AppendSlogAttr appends a converted to attrs, following slog's rules for
// handlers: an empty attribute is skipped, a group with no members is
// skipped, and a group with an empty key is inlined.
func AppendSlogAttr(attrs []Attr, a slog.Attr) []Attr {
	k := a.Value.Kind()
	if k == slog.KindLogValuer {
		a.Value = a.Value.Resolve()
		k = a.Value.Kind()
	}
	if a.Key == "" && k == slog.KindAny && a.Value.Any() == nil {
		return attrs // the empty Attr
	}
	if k == slog.KindGroup {
		g := a.Value.Group()
		if len(g) == 0 {
			return attrs
		}
		if a.Key == "" {
			for _, m := range g {
				attrs = AppendSlogAttr(attrs, m)
			}
			return attrs
		}
	}
	return append(attrs, Attr{Key: a.Key, Value: FromSlog(a.Value)})
}

// anyValue converts an arbitrary value; a method that panics (a nil
// pointer's Error, say) yields an error marker instead of a crash.
func anyValue(x any) (out Value) {
	defer func() {
		if p := recover(); p != nil {
			out = StringValue(fmt.Sprintf("!PANIC: %v", p))
		}
	}()
	switch v := x.(type) {
	case nil:
		return NullValue()
	case error:
		return StringValue(v.Error())
	case []byte:
		return BytesValue(v)
	case *big.Int:
		if v == nil {
			return NullValue()
		}
		return BigIntValue(v)
	case time.Time:
		return TimeValue(v)
	case Value:
		return v
	case []Value:
		return ListValue(v...)
	case []string:
		vs := make([]Value, len(v))
		for i, s := range v {
			vs[i] = StringValue(s)
		}
		return ListValue(vs...)
	case encoding.TextMarshaler:
		b, err := v.MarshalText()
		if err != nil {
			return StringValue("!ERROR:" + err.Error())
		}
		return StringValue(string(b))
	case fmt.Stringer:
		return StringValue(v.String())
	}
	return StringValue(fmt.Sprintf("%+v", x))
}

// AddAttr appends a to r's attributes, except for the names lab programs
// use for the record's own fields, which are stored there: equipment or
// equipment_id, project_short_id, run_kind, run_id and hostname.
func (r *Record) AddAttr(a Attr) { r.addExtra(a) }

// AddSlogAttr converts a and adds it like AddAttr, following slog's
// handler rules (empty attributes and groups skipped, empty-key groups
// inlined).
func (r *Record) AddSlogAttr(a slog.Attr) {
	n := len(r.Attrs)
	r.Attrs = AppendSlogAttr(r.Attrs, a)
	j := n
	for i := n; i < len(r.Attrs); i++ {
		if !r.Envelope.takeExtra(r.Attrs[i]) {
			r.Attrs[j] = r.Attrs[i]
			j++
		}
	}
	r.Attrs = r.Attrs[:j]
}
