package pickle

import (
	"fmt"
	"slices"
	"unicode/utf8"
)

// object handles the opcodes that, in Python, import names and call them.
// Here a name is only a Global value and a call is either one of the
// whitelisted pure constructors or an inert Object record.
func (d *decoder) object(op byte) error {
	switch op {
	case opGlobal, opInst:
		g, err := d.readGlobalLines(opName(op))
		if err != nil {
			return err
		}
		if op == opGlobal {
			return d.push(g)
		}
		items, err := d.popMark()
		if err != nil {
			return err
		}
		return d.callAndPush(g, tupleNode(slices.Clone(items)))
	case opStackGlobal:
		name, err := d.pop()
		if err != nil {
			return err
		}
		module, err := d.pop()
		if err != nil {
			return err
		}
		m, ok1 := module.(string)
		n, ok2 := name.(string)
		if !ok1 || !ok2 {
			return fmt.Errorf("%w: STACK_GLOBAL requires two str, got %s and %s", ErrMalformed, typeName(module), typeName(name))
		}
		return d.push(Global{Module: m, Name: n})
	case opReduce, opNewObj:
		args, err := d.pop()
		if err != nil {
			return err
		}
		callable, err := d.pop()
		if err != nil {
			return err
		}
		return d.apply(callable, args, nil)
	case opNewObjEx:
		kwargs, err := d.pop()
		if err != nil {
			return err
		}
		args, err := d.pop()
		if err != nil {
			return err
		}
		cls, err := d.pop()
		if err != nil {
			return err
		}
		kw, ok := kwargs.(*dictNode)
		if !ok {
			return fmt.Errorf("%w: NEWOBJ_EX keyword arguments are %s, not dict", ErrMalformed, typeName(kwargs))
		}
		return d.apply(cls, args, kw)
	case opObj:
		items, err := d.popMark()
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return fmt.Errorf("%w: OBJ without a class", ErrMalformed)
		}
		return d.apply(items[0], tupleNode(slices.Clone(items[1:])), nil)
	default: // BUILD
		state, err := d.pop()
		if err != nil {
			return err
		}
		inst, err := d.top()
		if err != nil {
			return err
		}
		return d.setState(inst, state)
	}
}

func (d *decoder) readGlobalLines(what string) (Global, error) {
	module, err := d.readLine(what + " module")
	if err != nil {
		return Global{}, err
	}
	name, err := d.readLine(what + " name")
	if err != nil {
		return Global{}, err
	}
	if !utf8.Valid(module) || !utf8.Valid(name) {
		return Global{}, fmt.Errorf("%w: %s name is not UTF-8", ErrMalformed, what)
	}
	return Global{Module: string(module), Name: string(name)}, nil
}

// apply is REDUCE/NEWOBJ/NEWOBJ_EX/OBJ: callable(*args, **kwargs).
func (d *decoder) apply(callable, args any, kwargs *dictNode) error {
	g, ok := callable.(Global)
	if !ok {
		return fmt.Errorf("%w: cannot call %s", ErrMalformed, typeName(callable))
	}
	t, ok := args.(tupleNode)
	if !ok {
		return fmt.Errorf("%w: arguments of %s are %s, not tuple", ErrMalformed, g, typeName(args))
	}
	if kwargs != nil && len(kwargs.keys) > 0 {
		return d.push(&objectNode{class: g, args: t, kwargs: kwargs})
	}
	return d.callAndPush(g, t)
}

func (d *decoder) callAndPush(g Global, args tupleNode) error {
	if ctor, ok := constructors[g]; ok {
		v, ok, err := ctor(d, args)
		if err != nil {
			return err
		}
		if ok {
			return d.push(v)
		}
	}
	return d.push(&objectNode{class: g, args: args})
}

// setState is BUILD. Only inert Object records accept state; a second BUILD
// of dicts merges them, as Python's default __setstate__ updates __dict__.
func (d *decoder) setState(inst, state any) error {
	o, ok := inst.(*objectNode)
	if !ok {
		return fmt.Errorf("%w: BUILD on %s", ErrMalformed, typeName(inst))
	}
	if !o.hasState {
		o.state, o.hasState = state, true
		return nil
	}
	old, ok1 := o.state.(*dictNode)
	upd, ok2 := state.(*dictNode)
	if !ok1 || !ok2 {
		return fmt.Errorf("%w: repeated BUILD on %s", ErrMalformed, o.class)
	}
	for i := range upd.keys {
		if err := d.setItem(old, upd.keys[i], upd.vals[i]); err != nil {
			return err
		}
	}
	return nil
}
