package pickle

import "fmt"

// While the machine runs, mutable Python containers are held by pointer so
// that memo references see later mutations exactly as Python's shared objects
// do (a list memoised, put in a tuple, then appended to). They become the
// exported plain values only after STOP, in finalize.
type (
	listNode struct {
		items    []any
		visiting bool
	}
	dictNode struct {
		keys, vals []any
		index      keyIndex
		visiting   bool
	}
	setNode struct {
		items    []any
		index    keyIndex
		frozen   bool
		visiting bool
	}
	objectNode struct {
		class    Global
		args     any
		kwargs   *dictNode
		state    any
		hasState bool
		list     []any
		dict     *dictNode
		visiting bool
	}
	// tupleNode is immutable but may hold mutable nodes.
	tupleNode []any
	// py2str is a Python 2 byte string (STRING, BINSTRING,
	// SHORT_BINSTRING): bytes whose final Go type depends on whether they
	// are text.
	py2str []byte
)

// setItem implements d[k] = v: an existing equal key keeps its position and
// takes the new value, as in Python.
func (d *decoder) setItem(n *dictNode, k, v any) error {
	nk, err := d.normKey(k, 0)
	if err != nil {
		return err
	}
	if i, ok := n.index.find(nk); ok {
		n.vals[i] = v
		return nil
	}
	if err := d.countItem(); err != nil {
		return err
	}
	n.index.add(nk, len(n.keys))
	n.keys = append(n.keys, k)
	n.vals = append(n.vals, v)
	return nil
}

// addToSet implements s.add(v).
func (d *decoder) addToSet(s *setNode, v any) error {
	nk, err := d.normKey(v, 0)
	if err != nil {
		return err
	}
	if _, ok := s.index.find(nk); ok {
		return nil
	}
	if err := d.countItem(); err != nil {
		return err
	}
	s.index.add(nk, len(s.items))
	s.items = append(s.items, v)
	return nil
}

// finalize converts the value STOP returned into exported plain values.
func (d *decoder) finalize(v any, depth int) (any, error) {
	d.expanded++
	if d.expanded > d.lim.MaxItems {
		return nil, fmt.Errorf("%w: result holds more than %d values", ErrTooLarge, d.lim.MaxItems)
	}
	if depth > d.lim.MaxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d", ErrTooLarge, d.lim.MaxDepth)
	}
	switch x := v.(type) {
	case *listNode:
		if x.visiting {
			return nil, fmt.Errorf("%w: list contains itself", ErrRecursive)
		}
		x.visiting = true
		defer func() { x.visiting = false }()
		return d.finalizeSlice(x.items, depth)
	case tupleNode:
		out, err := d.finalizeSlice(x, depth)
		return Tuple(out), err
	case *dictNode:
		if x.visiting {
			return nil, fmt.Errorf("%w: dict contains itself", ErrRecursive)
		}
		x.visiting = true
		defer func() { x.visiting = false }()
		return d.finalizeDict(x, depth)
	case *setNode:
		if x.visiting {
			return nil, fmt.Errorf("%w: set contains itself", ErrRecursive)
		}
		x.visiting = true
		defer func() { x.visiting = false }()
		out, err := d.finalizeSlice(x.items, depth)
		return Set(out), err
	case *objectNode:
		if x.visiting {
			return nil, fmt.Errorf("%w: object %s contains itself", ErrRecursive, x.class)
		}
		x.visiting = true
		defer func() { x.visiting = false }()
		return d.finalizeObject(x, depth)
	case py2str:
		return py2strValue(x), nil
	default:
		return v, nil
	}
}

func (d *decoder) finalizeSlice(items []any, depth int) ([]any, error) {
	out := make([]any, len(items))
	for i, it := range items {
		v, err := d.finalize(it, depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (d *decoder) finalizeDict(n *dictNode, depth int) (*Dict, error) {
	if n == nil {
		return nil, nil
	}
	keys, err := d.finalizeSlice(n.keys, depth)
	if err != nil {
		return nil, err
	}
	vals, err := d.finalizeSlice(n.vals, depth)
	if err != nil {
		return nil, err
	}
	return &Dict{Keys: keys, Values: vals}, nil
}

func (d *decoder) finalizeObject(n *objectNode, depth int) (Object, error) {
	o := Object{Class: n.class}
	var err error
	if n.args != nil {
		if o.Args, err = d.finalize(n.args, depth+1); err != nil {
			return Object{}, err
		}
	}
	if o.Kwargs, err = d.finalizeDict(n.kwargs, depth+1); err != nil {
		return Object{}, err
	}
	if n.hasState {
		if o.State, err = d.finalize(n.state, depth+1); err != nil {
			return Object{}, err
		}
	}
	if n.list != nil {
		if o.ListItems, err = d.finalizeSlice(n.list, depth); err != nil {
			return Object{}, err
		}
	}
	if o.DictItems, err = d.finalizeDict(n.dict, depth+1); err != nil {
		return Object{}, err
	}
	return o, nil
}
