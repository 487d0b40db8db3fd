package codec

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/intern"
)

// mpReader reads msgpack from a byte slice. Every length read from the
// input is checked against the bytes that remain before anything is
// allocated, so a hostile header cannot make it reserve memory.
type mpReader struct {
	b   []byte
	i   int
	str *intern.Table
}

func (m *mpReader) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s at offset %d", ErrMsgpack, fmt.Sprintf(format, args...), m.i)
}

func (m *mpReader) need(n int) error {
	if n < 0 || len(m.b)-m.i < n {
		return m.errorf("truncated: need %d bytes, have %d", n, len(m.b)-m.i)
	}
	return nil
}

func (m *mpReader) byte1() (byte, error) {
	if err := m.need(1); err != nil {
		return 0, err
	}
	c := m.b[m.i]
	m.i++
	return c, nil
}

func (m *mpReader) uintN(n int) (uint64, error) {
	if err := m.need(n); err != nil {
		return 0, err
	}
	p := m.b[m.i : m.i+n]
	m.i += n
	switch n {
	case 1:
		return uint64(p[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(p)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(p)), nil
	}
	return binary.BigEndian.Uint64(p), nil
}

// mapLen reads a map header.
func (m *mpReader) mapLen() (int, error) {
	c, err := m.byte1()
	if err != nil {
		return 0, err
	}
	var n uint64
	switch {
	case c&0xf0 == 0x80:
		n = uint64(c & 0x0f)
	case c == 0xde:
		n, err = m.uintN(2)
	case c == 0xdf:
		n, err = m.uintN(4)
	default:
		m.i--
		return 0, m.errorf("want map, have 0x%02x", c)
	}
	if err != nil {
		return 0, err
	}
	// Each entry takes at least two bytes.
	if n > uint64(len(m.b)-m.i)/2 {
		return 0, m.errorf("map of %d entries exceeds the input", n)
	}
	return int(n), nil
}

// rawStr reads a str (or bin) and returns its bytes without copying.
func (m *mpReader) rawStr() ([]byte, error) {
	c, err := m.byte1()
	if err != nil {
		return nil, err
	}
	var n uint64
	switch {
	case c&0xe0 == 0xa0:
		n = uint64(c & 0x1f)
	case c == 0xd9 || c == 0xc4:
		n, err = m.uintN(1)
	case c == 0xda || c == 0xc5:
		n, err = m.uintN(2)
	case c == 0xdb || c == 0xc6:
		n, err = m.uintN(4)
	default:
		m.i--
		return nil, m.errorf("want string, have 0x%02x", c)
	}
	if err != nil {
		return nil, err
	}
	if err := m.need(int(n)); err != nil {
		return nil, err
	}
	s := m.b[m.i : m.i+int(n)]
	m.i += int(n)
	return s, nil
}

func (m *mpReader) key() (string, error) {
	b, err := m.rawStr()
	if err != nil {
		return "", err
	}
	return m.str.String(b), nil
}

// value reads any msgpack value.
func (m *mpReader) value(depth int) (logbus.Value, error) {
	start := m.i
	c, err := m.byte1()
	if err != nil {
		return logbus.Value{}, err
	}
	switch {
	case c <= 0x7f:
		return logbus.IntValue(int64(c)), nil
	case c >= 0xe0:
		return logbus.IntValue(int64(int8(c))), nil
	case c&0xe0 == 0xa0 || c == 0xd9 || c == 0xda || c == 0xdb:
		m.i = start
		b, err := m.rawStr()
		if err != nil {
			return logbus.Value{}, err
		}
		return logbus.StringValue(m.str.String(b)), nil
	case c == 0xc4 || c == 0xc5 || c == 0xc6:
		m.i = start
		b, err := m.rawStr()
		if err != nil {
			return logbus.Value{}, err
		}
		return logbus.BytesValue(b), nil
	case c&0xf0 == 0x80 || c == 0xde || c == 0xdf:
		if depth >= logbus.MaxDepth {
			return logbus.Value{}, fmt.Errorf("%w (msgpack at offset %d)", ErrTooDeep, start)
		}
		m.i = start
		attrs, err := m.attrs(depth)
		return logbus.GroupValue(attrs...), err
	case c&0xf0 == 0x90 || c == 0xdc || c == 0xdd:
		if depth >= logbus.MaxDepth {
			return logbus.Value{}, fmt.Errorf("%w (msgpack at offset %d)", ErrTooDeep, start)
		}
		var n uint64
		switch c {
		case 0xdc:
			n, err = m.uintN(2)
		case 0xdd:
			n, err = m.uintN(4)
		default:
			n = uint64(c & 0x0f)
		}
		if err != nil {
			return logbus.Value{}, err
		}
		if n > uint64(len(m.b)-m.i) {
			return logbus.Value{}, m.errorf("array of %d elements exceeds the input", n)
		}
		elems := make([]logbus.Value, n)
		for i := range elems {
			if elems[i], err = m.value(depth + 1); err != nil {
				return logbus.Value{}, err
			}
		}
		return logbus.ListValue(elems...), nil
	}
	switch c {
	case 0xc0:
		return logbus.NullValue(), nil
	case 0xc2:
		return logbus.BoolValue(false), nil
	case 0xc3:
		return logbus.BoolValue(true), nil
	case 0xca:
		u, err := m.uintN(4)
		return logbus.FloatValue(float64(math.Float32frombits(uint32(u)))), err
	case 0xcb:
		u, err := m.uintN(8)
		return logbus.FloatValue(math.Float64frombits(u)), err
	case 0xcc, 0xcd, 0xce, 0xcf:
		u, err := m.uintN(1 << (c - 0xcc))
		return logbus.Uint64Value(u), err
	case 0xd0:
		u, err := m.uintN(1)
		return logbus.IntValue(int64(int8(u))), err
	case 0xd1:
		u, err := m.uintN(2)
		return logbus.IntValue(int64(int16(u))), err
	case 0xd2:
		u, err := m.uintN(4)
		return logbus.IntValue(int64(int32(u))), err
	case 0xd3:
		u, err := m.uintN(8)
		return logbus.IntValue(int64(u)), err
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return m.ext(1<<(c-0xd4), start)
	case 0xc7, 0xc8, 0xc9:
		n, err := m.uintN(1 << (c - 0xc7))
		if err != nil {
			return logbus.Value{}, err
		}
		if n > uint64(len(m.b)-m.i) {
			return logbus.Value{}, m.errorf("ext of %d bytes exceeds the input", n)
		}
		return m.ext(int(n), start)
	}
	m.i = start
	return logbus.Value{}, m.errorf("unknown type byte 0x%02x", c)
}

// ext reads an extension's type byte and n bytes of data.
func (m *mpReader) ext(n, start int) (logbus.Value, error) {
	t, err := m.byte1()
	if err != nil {
		return logbus.Value{}, err
	}
	if err := m.need(n); err != nil {
		return logbus.Value{}, err
	}
	d := m.b[m.i : m.i+n]
	m.i += n
	switch int8(t) {
	case extTimestamp:
		switch n {
		case 4:
			return logbus.TimeValue(time.Unix(int64(binary.BigEndian.Uint32(d)), 0)), nil
		case 8:
			v := binary.BigEndian.Uint64(d)
			return logbus.TimeValue(time.Unix(int64(v&(1<<34-1)), int64(v>>34))), nil
		case 12:
			nsec := binary.BigEndian.Uint32(d)
			sec := int64(binary.BigEndian.Uint64(d[4:]))
			if nsec < 1e9 {
				return logbus.TimeValue(time.Unix(sec, int64(nsec))), nil
			}
		}
	case extDuration:
		if n == 8 {
			return logbus.DurationValue(time.Duration(binary.BigEndian.Uint64(d))), nil
		}
	case extBigInt:
		if v, ok := logbus.IntegerValue(string(d)); ok {
			return v, nil
		}
	}
	m.i = start
	return logbus.Value{}, m.errorf("bad extension type %d length %d", int8(t), n)
}

// attrs reads a map with string keys as ordered attributes.
func (m *mpReader) attrs(depth int) ([]logbus.Attr, error) {
	n, err := m.mapLen()
	if err != nil {
		return nil, err
	}
	attrs := make([]logbus.Attr, n)
	for i := range attrs {
		if attrs[i].Key, err = m.key(); err != nil {
			return nil, err
		}
		if attrs[i].Value, err = m.value(depth + 1); err != nil {
			return nil, err
		}
	}
	return attrs, nil
}

// decodeMsgpack reads a top-level map, handing each field to dst; the
// "attrs" map is appended straight into dst's attributes to reuse their
// capacity.
func (d *Decoder) decodeMsgpack(b []byte, dst target) error {
	attrs, env, rec := dst.attrs, dst.env, dst.rec
	m := mpReader{b: b, str: &d.strs}
	n, err := m.mapLen()
	if err != nil {
		return err
	}
	for range n {
		kb, err := m.rawStr()
		if err != nil {
			return err
		}
		if m.i < len(b) && !d.generic {
			if done, err := m.fastField(kb, env, rec); err != nil {
				return err
			} else if done {
				continue
			}
		}
		k := m.str.String(kb)
		// The nested maps are read in place rather than built as groups.
		if (k == keyAttrs || k == keyRun || k == keySource) && m.i < len(b) && isMsgpackMap(b[m.i]) {
			na, err := m.mapLen()
			if err != nil {
				return err
			}
			for range na {
				var a logbus.Attr
				if a.Key, err = m.key(); err != nil {
					return err
				}
				if a.Value, err = m.value(2); err != nil {
					return err
				}
				if k == keyAttrs {
					*attrs = append(*attrs, a)
				} else {
					dst.setSubField(k, a)
				}
			}
			continue
		}
		v, err := m.value(1)
		if err != nil {
			return err
		}
		dst.setField(logbus.Attr{Key: k, Value: v})
	}
	if m.i != len(b) {
		return m.errorf("%d trailing bytes", len(b)-m.i)
	}
	return nil
}

func isMsgpackMap(c byte) bool { return c&0xf0 == 0x80 || c == 0xde || c == 0xdf }
