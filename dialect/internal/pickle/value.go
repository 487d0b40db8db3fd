package pickle

import "time"

// Tuple is a Python tuple.
type Tuple []any

// Set is a Python set or frozenset, in the order the pickle listed the
// elements, without duplicates.
type Set []any

// Dict is a Python dict (or collections.OrderedDict). Keys and Values are
// parallel slices in insertion order; keys are unique under Python equality
// (1, 1.0 and True are the same key, as in Python).
type Dict struct {
	Keys   []any
	Values []any
}

// Len reports the number of entries; a nil *Dict is empty.
func (d *Dict) Len() int {
	if d == nil {
		return 0
	}
	return len(d.Keys)
}

// Get returns the value stored under the string key. It is a linear scan:
// log records hold a few dozen keys, where a scan beats building an index.
func (d *Dict) Get(key string) (any, bool) {
	if d == nil {
		return nil, false
	}
	for i, k := range d.Keys {
		if s, ok := k.(string); ok && s == key {
			return d.Values[i], true
		}
	}
	return nil, false
}

// Global is a reference to a Python module attribute (GLOBAL or
// STACK_GLOBAL) that is not on the constructor whitelist. It is only a name:
// nothing is imported.
type Global struct {
	Module string
	Name   string
}

// String returns the dotted name, e.g. "uuid.UUID".
func (g Global) String() string { return g.Module + "." + g.Name }

// Object records what Python would have constructed by calling or
// instantiating a non-whitelisted class, as plain data: the class name, the
// arguments it would have been called with, the state BUILD would have
// applied and the items APPEND(S)/SETITEM(S) would have added (list and dict
// subclasses such as collections.defaultdict carry their contents there).
type Object struct {
	Class Global
	// Args is the positional argument Tuple (nil for copyreg-style objects
	// built without arguments).
	Args any
	// Kwargs holds NEWOBJ_EX keyword arguments, nil otherwise.
	Kwargs *Dict
	// State is the BUILD argument, nil when there was none.
	State any
	// ListItems are values appended with APPEND/APPENDS.
	ListItems []any
	// DictItems are entries added with SETITEM/SETITEMS.
	DictItems *Dict
}

// Naive is the location of time.Time values decoded from naive Python
// datetimes and dates (those without tzinfo). It has a zero offset, so the
// wall-clock fields are exactly Python's; compare Location() with Naive to
// tell naive values from aware ones.
var Naive = time.FixedZone("naive", 0)
