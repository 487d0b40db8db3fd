package pickle

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"
)

// Dict keys and set elements are deduplicated under Python's equality. Each
// key is first normalised to a comparable Go value that is equal exactly when
// the Python values are (for the types a pickle can hold): True, 1 and 1.0
// all become int64(1), while str and bytes stay apart. NaN stays a float64
// NaN, which never equals anything, as in Python.
type (
	bytesKey string
	bigKey   string
	tupleKey string
	durKey   time.Duration
	locKey   int
	timeKey  struct {
		sec   int64
		nsec  int
		naive bool
	}
)

// linearMax is the size up to which lookups scan instead of hashing: most
// dicts in log records are small, and a scan allocates nothing.
const linearMax = 8

type keyIndex struct {
	norm []any
	m    map[any]int
}

func (ix *keyIndex) find(nk any) (int, bool) {
	if ix.m != nil {
		i, ok := ix.m[nk]
		return i, ok
	}
	for i, k := range ix.norm {
		if k == nk {
			return i, true
		}
	}
	return -1, false
}

func (ix *keyIndex) add(nk any, i int) {
	ix.norm = append(ix.norm, nk)
	if ix.m == nil && len(ix.norm) <= linearMax {
		return
	}
	if ix.m == nil {
		ix.m = make(map[any]int, 2*len(ix.norm))
		for j, k := range ix.norm[:len(ix.norm)-1] {
			ix.m[k] = j
		}
	}
	ix.m[nk] = i
}

// normKey returns the comparable form of a hashable value, or ErrMalformed
// for values Python refuses to hash (list, dict, set).
func (d *decoder) normKey(v any, depth int) (any, error) {
	if depth > d.lim.MaxDepth {
		return nil, fmt.Errorf("%w: key nesting deeper than %d", ErrTooLarge, d.lim.MaxDepth)
	}
	switch x := v.(type) {
	case nil, int64, string, Global, *objectNode:
		return v, nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case float64:
		if x == math.Trunc(x) && x >= -(1<<63) && x < 1<<63 {
			return int64(x), nil
		}
		return x, nil
	case *big.Int:
		return bigKey(x.String()), nil
	case []byte:
		return bytesKey(x), nil
	case py2str:
		return bytesKey(x), nil
	case time.Time:
		return timeKey{sec: x.Unix(), nsec: x.Nanosecond(), naive: x.Location() == Naive}, nil
	case time.Duration:
		return durKey(x), nil
	case *time.Location:
		_, off := time.Unix(0, 0).In(x).Zone()
		return locKey(off), nil
	case *setNode:
		if x.frozen {
			// Identity, not content: frozensets as keys are too rare to
			// justify a canonical content encoding.
			return x, nil
		}
	case tupleNode:
		var b strings.Builder
		b.WriteByte('(')
		for _, it := range x {
			nk, err := d.normKey(it, depth+1)
			if err != nil {
				return nil, err
			}
			// %T plus %#v quotes strings, so the encoding is
			// unambiguous; pointers are keyed by identity.
			switch nk.(type) {
			case *objectNode, *setNode:
				fmt.Fprintf(&b, "%T:%p,", nk, nk)
			default:
				fmt.Fprintf(&b, "%T:%#v,", nk, nk)
			}
		}
		b.WriteByte(')')
		return tupleKey(b.String()), nil
	}
	return nil, fmt.Errorf("%w: unhashable %s used as dict key or set element", ErrMalformed, typeName(v))
}

// typeName names a stack value the way Python would, for error messages.
func typeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte, py2str:
		return "bytes"
	case *listNode:
		return "list"
	case *dictNode:
		return "dict"
	case *setNode:
		if x.frozen {
			return "frozenset"
		}
		return "set"
	case tupleNode:
		return "tuple"
	case Global:
		return "global " + x.String()
	case *objectNode:
		return x.class.String() + " object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
