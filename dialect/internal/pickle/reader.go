package pickle

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Every read checks the requested length against what remains of the input
// before slicing or allocating, so a length field claiming 2^62 bytes fails
// with ErrTruncated instead of an allocation.

func (d *decoder) remaining() int { return len(d.in) - d.pos }

func (d *decoder) readN(n uint64, what string) ([]byte, error) {
	if n > uint64(d.remaining()) {
		return nil, fmt.Errorf("%w: %s needs %d bytes, %d remain at offset %d", ErrTruncated, what, n, d.remaining(), d.pos)
	}
	b := d.in[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return b, nil
}

func (d *decoder) readByte(what string) (byte, error) {
	if d.pos >= len(d.in) {
		return 0, fmt.Errorf("%w: %s at offset %d", ErrTruncated, what, d.pos)
	}
	c := d.in[d.pos]
	d.pos++
	return c, nil
}

func (d *decoder) readU16(what string) (uint64, error) {
	b, err := d.readN(2, what)
	if err != nil {
		return 0, err
	}
	return uint64(binary.LittleEndian.Uint16(b)), nil
}

func (d *decoder) readU32(what string) (uint64, error) {
	b, err := d.readN(4, what)
	if err != nil {
		return 0, err
	}
	return uint64(binary.LittleEndian.Uint32(b)), nil
}

func (d *decoder) readU64(what string) (uint64, error) {
	b, err := d.readN(8, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// readLine returns the bytes up to, not including, the next '\n' (protocol
// 0 text arguments).
func (d *decoder) readLine(what string) ([]byte, error) {
	i := bytes.IndexByte(d.in[d.pos:], '\n')
	if i < 0 {
		return nil, fmt.Errorf("%w: %s line without newline at offset %d", ErrTruncated, what, d.pos)
	}
	line := d.in[d.pos : d.pos+i]
	d.pos += i + 1
	return line, nil
}
