package pickle

import (
	"encoding/binary"
	"fmt"
	"math"
)

// number handles the integer and float opcodes.
func (d *decoder) number(op byte) error {
	switch op {
	case opInt:
		line, err := d.readLine("INT")
		if err != nil {
			return err
		}
		// Protocol 0 spells True and False as INT 01 and INT 00.
		switch string(line) {
		case "01":
			return d.push(true)
		case "00":
			return d.push(false)
		}
		v, err := parseTextInt(line)
		if err != nil {
			return err
		}
		return d.push(v)
	case opLong:
		line, err := d.readLine("LONG")
		if err != nil {
			return err
		}
		if n := len(line); n > 1 && line[n-1] == 'L' {
			line = line[:n-1]
		}
		v, err := parseTextInt(line)
		if err != nil {
			return err
		}
		return d.push(v)
	case opBinInt:
		v, err := d.readU32("BININT")
		if err != nil {
			return err
		}
		return d.push(int64(int32(uint32(v))))
	case opBinInt1:
		v, err := d.readByte("BININT1")
		if err != nil {
			return err
		}
		return d.push(int64(v))
	case opBinInt2:
		v, err := d.readU16("BININT2")
		if err != nil {
			return err
		}
		return d.push(int64(v))
	case opLong1, opLong4:
		var n uint64
		var err error
		if op == opLong1 {
			var c byte
			c, err = d.readByte("LONG1 length")
			n = uint64(c)
		} else {
			n, err = d.readU32("LONG4 length")
			if err == nil && int32(uint32(n)) < 0 {
				return fmt.Errorf("%w: negative LONG4 length", ErrMalformed)
			}
		}
		if err != nil {
			return err
		}
		b, err := d.readN(n, opName(op))
		if err != nil {
			return err
		}
		return d.push(decodeLong(b))
	case opFloat:
		line, err := d.readLine("FLOAT")
		if err != nil {
			return err
		}
		f, err := parseTextFloat(line)
		if err != nil {
			return err
		}
		return d.push(f)
	case opBinFloat:
		b, err := d.readN(8, "BINFLOAT")
		if err != nil {
			return err
		}
		return d.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
	}
	return fmt.Errorf("%w: not a number opcode", ErrUnsupportedOpcode)
}

// text handles the str opcodes and Python 2's byte-string opcodes.
func (d *decoder) text(op byte) error {
	var n uint64
	var err error
	switch op {
	case opString:
		line, err := d.readLine("STRING")
		if err != nil {
			return err
		}
		s, err := decodeStringLiteral(line)
		if err != nil {
			return err
		}
		return d.push(s)
	case opUnicode:
		line, err := d.readLine("UNICODE")
		if err != nil {
			return err
		}
		s, err := decodeRawUnicodeEscape(line)
		if err != nil {
			return err
		}
		return d.push(s)
	case opShortBinString, opShortBinUnicode:
		var c byte
		c, err = d.readByte(opName(op) + " length")
		n = uint64(c)
	case opBinString:
		n, err = d.readU32("BINSTRING length")
		if err == nil && int32(uint32(n)) < 0 {
			return fmt.Errorf("%w: negative BINSTRING length", ErrMalformed)
		}
	case opBinUnicode:
		n, err = d.readU32("BINUNICODE length")
	case opBinUnicode8:
		n, err = d.readU64("BINUNICODE8 length")
	}
	if err != nil {
		return err
	}
	b, err := d.readN(n, opName(op))
	if err != nil {
		return err
	}
	if op == opBinString || op == opShortBinString {
		return d.push(py2str(append([]byte(nil), b...)))
	}
	return d.push(decodeUTF8(b))
}

// binary handles bytes and bytearray opcodes. The payload is copied so the
// result never aliases the caller's buffer.
func (d *decoder) binary(op byte) error {
	var n uint64
	var err error
	switch op {
	case opShortBinBytes:
		var c byte
		c, err = d.readByte("SHORT_BINBYTES length")
		n = uint64(c)
	case opBinBytes:
		n, err = d.readU32("BINBYTES length")
	default: // BINBYTES8, BYTEARRAY8
		n, err = d.readU64(opName(op) + " length")
	}
	if err != nil {
		return err
	}
	b, err := d.readN(n, opName(op))
	if err != nil {
		return err
	}
	return d.push(append([]byte{}, b...))
}
