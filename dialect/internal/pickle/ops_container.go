package pickle

import (
	"fmt"
	"slices"
	"strconv"
)

// memoOp handles PUT/GET in their text, 1-byte and 4-byte forms and MEMOIZE.
func (d *decoder) memoOp(op byte) error {
	var idx uint64
	var err error
	switch op {
	case opPut, opGet:
		var line []byte
		line, err = d.readLine(opName(op))
		if err == nil {
			idx, err = strconv.ParseUint(string(line), 10, 64)
			if err != nil {
				return fmt.Errorf("%w: bad memo key %q", ErrMalformed, line)
			}
		}
	case opBinPut, opBinGet:
		var c byte
		c, err = d.readByte(opName(op))
		idx = uint64(c)
	case opLongBinPut, opLongBinGet:
		idx, err = d.readU32(opName(op))
	case opMemoize:
		idx = d.memoLen()
	}
	if err != nil {
		return err
	}
	switch op {
	case opGet, opBinGet, opLongBinGet:
		return d.memoGet(idx)
	}
	return d.memoPut(idx)
}

// build handles the opcodes that create containers.
func (d *decoder) build(op byte) error {
	switch op {
	case opEmptyList:
		return d.push(&listNode{})
	case opEmptyDict:
		return d.push(&dictNode{})
	case opEmptySet:
		return d.push(&setNode{})
	case opEmptyTuple:
		return d.push(tupleNode{})
	case opTuple1, opTuple2, opTuple3:
		n := int(op-opTuple1) + 1
		if len(d.stack)-d.fence() < n {
			return fmt.Errorf("%w: stack underflow", ErrMalformed)
		}
		k := len(d.stack) - n
		t := tupleNode(slices.Clone(d.stack[k:]))
		clear(d.stack[k:])
		d.stack = d.stack[:k]
		if err := d.countItems(n); err != nil {
			return err
		}
		return d.push(t)
	}
	items, err := d.popMark()
	if err != nil {
		return err
	}
	if err := d.countItems(len(items)); err != nil {
		return err
	}
	switch op {
	case opList:
		return d.push(&listNode{items: slices.Clone(items)})
	case opTuple:
		return d.push(tupleNode(slices.Clone(items)))
	case opDict:
		if len(items)%2 != 0 {
			return fmt.Errorf("%w: odd number of items for DICT", ErrMalformed)
		}
		n := &dictNode{}
		for i := 0; i < len(items); i += 2 {
			if err := d.setItem(n, items[i], items[i+1]); err != nil {
				return err
			}
		}
		clear(items)
		return d.push(n)
	default: // FROZENSET
		s := &setNode{frozen: true}
		for _, it := range items {
			if err := d.addToSet(s, it); err != nil {
				return err
			}
		}
		clear(items)
		return d.push(s)
	}
}

// insert handles the opcodes that add to the container below the values.
func (d *decoder) insert(op byte) error {
	var items []any
	switch op {
	case opAppend:
		v, err := d.pop()
		if err != nil {
			return err
		}
		items = []any{v}
	case opSetItem:
		v, err := d.pop()
		if err != nil {
			return err
		}
		k, err := d.pop()
		if err != nil {
			return err
		}
		items = []any{k, v}
	default:
		var err error
		if items, err = d.popMark(); err != nil {
			return err
		}
		defer clear(items)
	}
	target, err := d.top()
	if err != nil {
		return err
	}
	switch op {
	case opAppend, opAppends:
		return d.appendTo(target, items)
	case opSetItem, opSetItems:
		return d.setItemsOn(target, items)
	}
	s, ok := target.(*setNode)
	if !ok || s.frozen {
		return fmt.Errorf("%w: ADDITEMS on %s", ErrMalformed, typeName(target))
	}
	for _, it := range items {
		if err := d.addToSet(s, it); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) appendTo(target any, items []any) error {
	if err := d.countItems(len(items)); err != nil {
		return err
	}
	switch t := target.(type) {
	case *listNode:
		t.items = append(t.items, items...)
	case *objectNode:
		// A list subclass: Python would call its append/extend.
		t.list = append(t.list, items...)
	default:
		return fmt.Errorf("%w: APPEND to %s", ErrMalformed, typeName(target))
	}
	return nil
}

func (d *decoder) setItemsOn(target any, items []any) error {
	if len(items)%2 != 0 {
		return fmt.Errorf("%w: odd number of items for SETITEMS", ErrMalformed)
	}
	var n *dictNode
	switch t := target.(type) {
	case *dictNode:
		n = t
	case *objectNode:
		// A dict subclass such as defaultdict: Python would call
		// __setitem__.
		if t.dict == nil {
			t.dict = &dictNode{}
		}
		n = t.dict
	default:
		return fmt.Errorf("%w: SETITEM on %s", ErrMalformed, typeName(target))
	}
	n.keys = slices.Grow(n.keys, len(items)/2)
	n.vals = slices.Grow(n.vals, len(items)/2)
	for i := 0; i < len(items); i += 2 {
		if err := d.setItem(n, items[i], items[i+1]); err != nil {
			return err
		}
	}
	return nil
}
