package pickle

import "fmt"

// step executes one opcode (other than STOP).
func (d *decoder) step(op byte) error {
	switch op {
	case opProto:
		v, err := d.readByte("PROTO version")
		if err != nil {
			return err
		}
		if v > highestProtocol {
			return fmt.Errorf("%w: protocol %d (highest known %d)", ErrUnsupportedOpcode, v, highestProtocol)
		}
		return nil
	case opFrame:
		// Framing only groups opcodes for buffered reading; the decoder
		// already has the whole input, so it just checks the claim.
		n, err := d.readU64("FRAME length")
		if err != nil {
			return err
		}
		if n > uint64(d.remaining()) {
			return fmt.Errorf("%w: FRAME of %d bytes, %d remain", ErrTruncated, n, d.remaining())
		}
		return nil
	case opNone:
		return d.push(nil)
	case opNewTrue:
		return d.push(true)
	case opNewFalse:
		return d.push(false)
	case opInt, opLong, opBinInt, opBinInt1, opBinInt2, opLong1, opLong4, opFloat, opBinFloat:
		return d.number(op)
	case opString, opBinString, opShortBinString, opUnicode, opBinUnicode,
		opShortBinUnicode, opBinUnicode8:
		return d.text(op)
	case opBinBytes, opShortBinBytes, opBinBytes8, opByteArray8:
		return d.binary(op)
	case opReadonlyBuffer:
		// Only marks a buffer read-only; a []byte stays a []byte.
		_, err := d.top()
		return err
	case opMark:
		if len(d.marks) >= d.lim.MaxItems {
			return fmt.Errorf("%w: more than %d MARKs", ErrTooLarge, d.lim.MaxItems)
		}
		d.marks = append(d.marks, len(d.stack))
		return nil
	case opPop:
		// CPython pops a MARK sitting on top of the stack instead of a
		// value.
		if n := len(d.marks); n > 0 && d.marks[n-1] == len(d.stack) {
			d.marks = d.marks[:n-1]
			return nil
		}
		_, err := d.pop()
		return err
	case opPopMark:
		_, err := d.popMark()
		return err
	case opDup:
		v, err := d.top()
		if err != nil {
			return err
		}
		return d.push(v)
	case opPut, opBinPut, opLongBinPut, opMemoize, opGet, opBinGet, opLongBinGet:
		return d.memoOp(op)
	case opEmptyList, opEmptyDict, opEmptySet, opEmptyTuple, opList, opDict, opTuple,
		opTuple1, opTuple2, opTuple3, opFrozenSet:
		return d.build(op)
	case opAppend, opAppends, opSetItem, opSetItems, opAddItems:
		return d.insert(op)
	case opGlobal, opStackGlobal, opReduce, opBuild, opNewObj, opNewObjEx, opInst, opObj:
		return d.object(op)
	case opPersID, opBinPersID:
		return fmt.Errorf("%w: persistent ids are not supported", ErrUnsupportedOpcode)
	case opExt1, opExt2, opExt4:
		return fmt.Errorf("%w: extension registry codes are not supported", ErrUnsupportedOpcode)
	case opNextBuffer:
		return fmt.Errorf("%w: out-of-band buffers are not supported", ErrUnsupportedOpcode)
	}
	return fmt.Errorf("%w: unknown opcode", ErrUnsupportedOpcode)
}
