package codec

import (
	"fmt"
	"math/big"
	"time"

	"github.com/logbus/logbus/codec/internal/pickle"
)

// Pickle payloads ('?LP' topics) come from distlog's PickleFormatter.
// They are read by a decoder that only builds plain data: Python classes
// are never looked up or called, so a hostile pickle cannot run code. The
// few constructors a log record needs (datetime, timedelta, timezone,
// bytes) are mapped to Go values; any other object becomes a group
// describing it ({"$class": "module.Name", ...}).

func decodePickle(b []byte) ([]Attr, error) {
	v, err := pickle.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPickle, err)
	}
	d, ok := v.(*pickle.Dict)
	if !ok {
		return nil, fmt.Errorf("%w: payload is a %T, not a dict", ErrSchema, v)
	}
	return pickleDict(d, 0), nil
}

func pickleDict(d *pickle.Dict, depth int) []Attr {
	attrs := make([]Attr, 0, d.Len())
	for i, k := range d.Keys {
		key, ok := k.(string)
		if !ok {
			key = fromPickle(k, depth+1).String() // Python's str() of the key, near enough
		}
		attrs = append(attrs, Attr{Key: key, Value: fromPickle(d.Values[i], depth+1)})
	}
	return attrs
}

func fromPickle(v any, depth int) Value {
	if depth > MaxDepth {
		return NullValue()
	}
	switch x := v.(type) {
	case nil:
		return NullValue()
	case bool:
		return BoolValue(x)
	case int64:
		return IntValue(x)
	case *big.Int:
		return BigIntValue(x)
	case float64:
		return FloatValue(x)
	case string:
		return StringValue(x)
	case []byte:
		return BytesValue(x)
	case time.Time:
		return TimeValue(x)
	case time.Duration:
		return DurationValue(x)
	case *time.Location:
		return StringValue(x.String())
	case []any:
		return pickleList(x, depth)
	case pickle.Tuple:
		return pickleList(x, depth)
	case pickle.Set:
		return pickleList(x, depth)
	case *pickle.Dict:
		return GroupValue(pickleDict(x, depth)...)
	case pickle.Global:
		return StringValue(x.String())
	case pickle.Object:
		return pickleObject(&x, depth)
	case *pickle.Object:
		return pickleObject(x, depth)
	}
	return StringValue(fmt.Sprint(v))
}

func pickleList(xs []any, depth int) Value {
	vs := make([]Value, len(xs))
	for i, x := range xs {
		vs[i] = fromPickle(x, depth+1)
	}
	return ListValue(vs...)
}

func pickleObject(o *pickle.Object, depth int) Value {
	g := []Attr{{Key: "$class", Value: StringValue(o.Class.String())}}
	if o.Args != nil {
		g = append(g, Attr{Key: "args", Value: fromPickle(o.Args, depth+1)})
	}
	if o.Kwargs != nil {
		g = append(g, Attr{Key: "kwargs", Value: fromPickle(o.Kwargs, depth+1)})
	}
	if o.State != nil {
		g = append(g, Attr{Key: "state", Value: fromPickle(o.State, depth+1)})
	}
	if len(o.ListItems) > 0 {
		g = append(g, Attr{Key: "items", Value: pickleList(o.ListItems, depth+1)})
	}
	if o.DictItems != nil {
		g = append(g, Attr{Key: "entries", Value: fromPickle(o.DictItems, depth+1)})
	}
	return GroupValue(g...)
}
