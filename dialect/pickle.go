package dialect

import (
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/dialect/internal/pickle"
)

// Pickle payloads ('?LP' topics) come from distlog's PickleFormatter.
// They are read by a decoder that only builds plain data: Python classes
// are never looked up or called, so a hostile pickle cannot run code. The
// few constructors a log record needs (datetime, timedelta, timezone,
// bytes) are mapped to Go values; any other object becomes a group
// describing it ({"$class": "module.Name", ...}).

// ErrNotDict is wrapped by ReadPickle when the payload was read but
// holds something other than a dictionary, so it cannot be a record.
var ErrNotDict = errors.New("dialect: pickle is not a dict")

// ReadPickle reads a pickle payload (protocols 0 to 5) holding a
// dictionary into its entries as attributes, in order; keys that are not
// strings become their text. Errors are the reader's own (truncated,
// unsupported opcode, limits exceeded) or wrap ErrNotDict.
func ReadPickle(b []byte) ([]logbus.Attr, error) {
	v, err := pickle.Decode(b)
	if err != nil {
		return nil, err
	}
	d, ok := v.(*pickle.Dict)
	if !ok {
		return nil, fmt.Errorf("%w: payload is a %T", ErrNotDict, v)
	}
	return pickleDict(d, 0), nil
}

func pickleDict(d *pickle.Dict, depth int) []logbus.Attr {
	attrs := make([]logbus.Attr, 0, d.Len())
	for i, k := range d.Keys {
		key, ok := k.(string)
		if !ok {
			key = fromPickle(k, depth+1).String() // Python's str() of the key, near enough
		}
		attrs = append(attrs, logbus.Attr{Key: key, Value: fromPickle(d.Values[i], depth+1)})
	}
	return attrs
}

func fromPickle(v any, depth int) logbus.Value {
	if depth > logbus.MaxDepth {
		return logbus.NullValue()
	}
	switch x := v.(type) {
	case nil:
		return logbus.NullValue()
	case bool:
		return logbus.BoolValue(x)
	case int64:
		return logbus.IntValue(x)
	case *big.Int:
		return logbus.BigIntValue(x)
	case float64:
		return logbus.FloatValue(x)
	case string:
		return logbus.StringValue(x)
	case []byte:
		return logbus.BytesValue(x)
	case time.Time:
		return logbus.TimeValue(x)
	case time.Duration:
		return logbus.DurationValue(x)
	case *time.Location:
		return logbus.StringValue(x.String())
	case []any:
		return pickleList(x, depth)
	case pickle.Tuple:
		return pickleList(x, depth)
	case pickle.Set:
		return pickleList(x, depth)
	case *pickle.Dict:
		return logbus.GroupValue(pickleDict(x, depth)...)
	case pickle.Global:
		return logbus.StringValue(x.String())
	case pickle.Object:
		return pickleObject(&x, depth)
	case *pickle.Object:
		return pickleObject(x, depth)
	}
	return logbus.StringValue(fmt.Sprint(v))
}

func pickleList(xs []any, depth int) logbus.Value {
	vs := make([]logbus.Value, len(xs))
	for i, x := range xs {
		vs[i] = fromPickle(x, depth+1)
	}
	return logbus.ListValue(vs...)
}

func pickleObject(o *pickle.Object, depth int) logbus.Value {
	g := []logbus.Attr{{Key: "$class", Value: logbus.StringValue(o.Class.String())}}
	if o.Args != nil {
		g = append(g, logbus.Attr{Key: "args", Value: fromPickle(o.Args, depth+1)})
	}
	if o.Kwargs != nil {
		g = append(g, logbus.Attr{Key: "kwargs", Value: fromPickle(o.Kwargs, depth+1)})
	}
	if o.State != nil {
		g = append(g, logbus.Attr{Key: "state", Value: fromPickle(o.State, depth+1)})
	}
	if len(o.ListItems) > 0 {
		g = append(g, logbus.Attr{Key: "items", Value: pickleList(o.ListItems, depth+1)})
	}
	if o.DictItems != nil {
		g = append(g, logbus.Attr{Key: "entries", Value: fromPickle(o.DictItems, depth+1)})
	}
	return logbus.GroupValue(g...)
}
