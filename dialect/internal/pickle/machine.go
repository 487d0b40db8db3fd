package pickle

import "fmt"

// decoder is the pickle virtual machine: an object stack split by a stack of
// MARK positions (the top mark is a fence no pop may cross, as in CPython),
// and the memo.
type decoder struct {
	in  []byte
	pos int
	lim Limits

	stack []any
	marks []int

	// memo is dense for the usual sequential PUT/MEMOIZE indexes and falls
	// back to a map for sparse ones, so a LONG_BINPUT of 2^32-1 costs one
	// map entry rather than a huge slice.
	memo   []any
	sparse map[uint64]any

	items    int // container insertions, capped by MaxItems
	expanded int // values emitted by finalize, capped by MaxItems
}

func (d *decoder) run() (any, error) {
	for {
		at := d.pos
		op, err := d.readByte("opcode")
		if err != nil {
			return nil, fmt.Errorf("%w (no STOP)", err)
		}
		if op == opStop {
			v, err := d.pop()
			if err != nil {
				return nil, fmt.Errorf("%w (STOP at offset %d)", err, at)
			}
			return d.finalize(v, 0)
		}
		if err := d.step(op); err != nil {
			return nil, fmt.Errorf("%w (opcode %s at offset %d)", err, opName(op), at)
		}
	}
}

func (d *decoder) fence() int {
	if len(d.marks) == 0 {
		return 0
	}
	return d.marks[len(d.marks)-1]
}

func (d *decoder) push(v any) error {
	if len(d.stack) >= d.lim.MaxItems {
		return fmt.Errorf("%w: more than %d values on the stack", ErrTooLarge, d.lim.MaxItems)
	}
	d.stack = append(d.stack, v)
	return nil
}

func (d *decoder) pop() (any, error) {
	if len(d.stack) <= d.fence() {
		return nil, fmt.Errorf("%w: stack underflow", ErrMalformed)
	}
	v := d.stack[len(d.stack)-1]
	d.stack[len(d.stack)-1] = nil
	d.stack = d.stack[:len(d.stack)-1]
	return v, nil
}

func (d *decoder) top() (any, error) {
	if len(d.stack) <= d.fence() {
		return nil, fmt.Errorf("%w: stack underflow", ErrMalformed)
	}
	return d.stack[len(d.stack)-1], nil
}

// popMark removes the topmost MARK and returns the values above it. The
// slice aliases the stack, so callers that keep it must copy it first.
func (d *decoder) popMark() ([]any, error) {
	if len(d.marks) == 0 {
		return nil, fmt.Errorf("%w: no MARK on the stack", ErrMalformed)
	}
	k := d.marks[len(d.marks)-1]
	d.marks = d.marks[:len(d.marks)-1]
	items := d.stack[k:]
	d.stack = d.stack[:k]
	return items, nil
}

func (d *decoder) countItem() error {
	d.items++
	if d.items > d.lim.MaxItems {
		return fmt.Errorf("%w: more than %d container items", ErrTooLarge, d.lim.MaxItems)
	}
	return nil
}

func (d *decoder) countItems(n int) error {
	d.items += n
	if d.items > d.lim.MaxItems || n > d.lim.MaxItems {
		return fmt.Errorf("%w: more than %d container items", ErrTooLarge, d.lim.MaxItems)
	}
	return nil
}

func (d *decoder) memoLen() uint64 { return uint64(len(d.memo) + len(d.sparse)) }

func (d *decoder) memoPut(idx uint64) error {
	v, err := d.top()
	if err != nil {
		return err
	}
	switch {
	case idx < uint64(len(d.memo)):
		d.memo[idx] = v
	case idx == uint64(len(d.memo)):
		d.memo = append(d.memo, v)
		delete(d.sparse, idx)
	default:
		if d.sparse == nil {
			d.sparse = make(map[uint64]any)
		}
		d.sparse[idx] = v
	}
	return nil
}

func (d *decoder) memoGet(idx uint64) error {
	if idx < uint64(len(d.memo)) {
		return d.push(d.memo[idx])
	}
	if v, ok := d.sparse[idx]; ok {
		return d.push(v)
	}
	return fmt.Errorf("%w: memo key %d not found", ErrMalformed, idx)
}
