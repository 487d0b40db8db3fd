package pickle

import (
	"strings"
	"unicode/utf8"
)

// constructor re-implements one whitelisted Python callable as a pure data
// transformation of already-decoded arguments. ok=false means the arguments
// are not of a shape it understands; the call is then kept as an Object.
type constructor func(d *decoder, args tupleNode) (v any, ok bool, err error)

// constructors is the whitelist. Both Python 3 module names and the Python 2
// spellings that protocols 0-2 write (__builtin__, copy_reg) are listed.
var constructors map[Global]constructor

func init() {
	constructors = map[Global]constructor{
		{"datetime", "datetime"}:       newDatetime,
		{"datetime", "date"}:           newDate,
		{"datetime", "timedelta"}:      newTimedelta,
		{"datetime", "timezone"}:       newTimezone,
		{"_codecs", "encode"}:          newEncoded,
		{"collections", "OrderedDict"}: newOrderedDict,
	}
	for _, m := range []string{"builtins", "__builtin__"} {
		constructors[Global{m, "set"}] = newSet(false)
		constructors[Global{m, "frozenset"}] = newSet(true)
		constructors[Global{m, "bytes"}] = newBytes
		constructors[Global{m, "bytearray"}] = newBytes
	}
	for _, m := range []string{"copyreg", "copy_reg"} {
		constructors[Global{m, "_reconstructor"}] = newReconstructed
	}
}

// encodeStr is str.encode for the codecs pickles use.
func encodeStr(s, encoding string) ([]byte, bool) {
	switch strings.ReplaceAll(strings.ToLower(encoding), "_", "-") {
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1":
		out := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 0xFF {
				return nil, false
			}
			out = append(out, byte(r))
		}
		return out, true
	case "utf-8", "utf8":
		return []byte(s), true
	case "ascii", "us-ascii":
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				return nil, false
			}
		}
		return []byte(s), true
	}
	return nil, false
}

// newEncoded is _codecs.encode(str[, encoding]): how protocols 0-2 carry
// bytes (as a Latin-1 str plus the codec name).
func newEncoded(_ *decoder, args tupleNode) (any, bool, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, false, nil
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, false, nil
	}
	enc := "utf-8"
	if len(args) == 2 {
		if enc, ok = args[1].(string); !ok {
			return nil, false, nil
		}
	}
	b, ok := encodeStr(s, enc)
	return b, ok, nil
}

// newBytes is bytes(...) and bytearray(...) for the argument shapes the
// pickler writes: (), (bytes,) and (str, encoding).
func newBytes(_ *decoder, args tupleNode) (any, bool, error) {
	switch len(args) {
	case 0:
		return []byte{}, true, nil
	case 1:
		switch b := args[0].(type) {
		case []byte:
			return append([]byte{}, b...), true, nil
		case py2str:
			return append([]byte{}, b...), true, nil
		}
	case 2:
		s, ok1 := args[0].(string)
		enc, ok2 := args[1].(string)
		if ok1 && ok2 {
			b, ok := encodeStr(s, enc)
			return b, ok, nil
		}
	}
	return nil, false, nil
}

// newSet is set(iterable) / frozenset(iterable), as protocols 0-3 write
// sets.
func newSet(frozen bool) constructor {
	return func(d *decoder, args tupleNode) (any, bool, error) {
		s := &setNode{frozen: frozen}
		if len(args) == 0 {
			return s, true, nil
		}
		if len(args) > 1 {
			return nil, false, nil
		}
		items, ok := iterItems(args[0])
		if !ok {
			return nil, false, nil
		}
		for _, it := range items {
			if err := d.addToSet(s, it); err != nil {
				return nil, false, err
			}
		}
		return s, true, nil
	}
}

// iterItems returns the elements of a list, tuple or set argument.
func iterItems(v any) ([]any, bool) {
	switch x := v.(type) {
	case *listNode:
		return x.items, true
	case tupleNode:
		return x, true
	case *setNode:
		return x.items, true
	}
	return nil, false
}

// newOrderedDict is collections.OrderedDict(): the pickler passes no
// arguments and adds the items with SETITEMS. A mapping or a sequence of
// pairs is accepted too.
func newOrderedDict(d *decoder, args tupleNode) (any, bool, error) {
	n := &dictNode{}
	if len(args) == 0 {
		return n, true, nil
	}
	if len(args) > 1 {
		return nil, false, nil
	}
	if src, ok := args[0].(*dictNode); ok {
		for i := range src.keys {
			if err := d.setItem(n, src.keys[i], src.vals[i]); err != nil {
				return nil, false, err
			}
		}
		return n, true, nil
	}
	items, ok := iterItems(args[0])
	if !ok {
		return nil, false, nil
	}
	for _, it := range items {
		pair, ok := iterItems(it)
		if !ok || len(pair) != 2 {
			return nil, false, nil
		}
		if _, isSet := it.(*setNode); isSet {
			return nil, false, nil
		}
		if err := d.setItem(n, pair[0], pair[1]); err != nil {
			return nil, false, err
		}
	}
	return n, true, nil
}

// newReconstructed is copyreg._reconstructor(cls, base, state), which
// protocols 0 and 1 use for instances of ordinary classes. It yields the
// Object record for cls rather than one for copyreg itself.
func newReconstructed(_ *decoder, args tupleNode) (any, bool, error) {
	if len(args) != 3 {
		return nil, false, nil
	}
	cls, ok := args[0].(Global)
	if !ok {
		return nil, false, nil
	}
	if base, ok := args[1].(Global); ok && base.Name == "object" &&
		(base.Module == "builtins" || base.Module == "__builtin__") && args[2] == nil {
		return &objectNode{class: cls}, true, nil
	}
	return &objectNode{class: cls, args: tupleNode{args[1], args[2]}}, true, nil
}
