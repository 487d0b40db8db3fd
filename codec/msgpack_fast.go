package codec

import "github.com/logbus/logbus"

// fastField stores the common envelope and record fields of the logbus
// schema straight from the msgpack bytes, skipping the generic Value that
// setField would otherwise build and switch on a second time. It handles
// only the encodings AppendRecordMsgpack writes (strings as str, numbers
// as positive ints); anything else returns false with nothing consumed
// and takes the generic path, so the result is the same either way.
func (m *mpReader) fastField(key []byte, env *logbus.Envelope, rec *logbus.Record) (bool, error) {
	c := m.b[m.i] // the caller checked that a byte remains
	isStr := c&0xe0 == 0xa0 || c == 0xd9 || c == 0xda || c == 0xdb
	var dst *string
	switch string(key) { // compiled to comparisons, no allocation
	case keyMessage:
		if rec == nil {
			return false, nil
		}
		dst = &rec.Message
	case keyLogger:
		if rec == nil {
			return false, nil
		}
		dst = &rec.Logger
	case keyError:
		if rec == nil {
			return false, nil
		}
		dst = &rec.Error
	case keyHost:
		dst = &env.Host
	case keyEquipment:
		dst = &env.Equipment
	case keyLevel:
		if rec == nil || c > 0x7f {
			return false, nil
		}
		m.i++
		rec.Level = logbus.Level(c)
		return true, nil
	case keySchema:
		if c > 0x7f {
			return false, nil
		}
		m.i++
		return true, nil
	case keyStream, keySeq, keyPID:
		n, ok, err := m.smallUint(c)
		if !ok || err != nil {
			return false, err
		}
		switch string(key) {
		case keyStream:
			env.Stream = n
		case keySeq:
			env.Seq = n
		default:
			env.PID = int64(n)
		}
		return true, nil
	default:
		return false, nil
	}
	if !isStr {
		return false, nil
	}
	b, err := m.rawStr()
	if err != nil {
		return false, err
	}
	*dst = m.str.String(b)
	return true, nil
}

// smallUint reads a positive fixint or a uint8..uint32 (values that are
// Int either way), or returns false with nothing consumed.
func (m *mpReader) smallUint(c byte) (uint64, bool, error) {
	switch {
	case c <= 0x7f:
		m.i++
		return uint64(c), true, nil
	case c >= 0xcc && c <= 0xce:
		m.i++
		n, err := m.uintN(1 << (c - 0xcc))
		return n, err == nil, err
	}
	return 0, false, nil
}
