package jsonvalue

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/intern"
)

var _ error = (*Error)(nil)

// Error is a parse failure: what was wrong and where.
type Error struct {
	Msg     string
	Offset  int  // byte offset into the input
	TooDeep bool // nesting beyond logbus.MaxDepth
}

func (e *Error) Error() string { return fmt.Sprintf("%s at offset %d", e.Msg, e.Offset) }

// Parse reads one JSON document into a Value, keeping object keys in
// order: an object is a group (or the tagged value it spells, see the
// tags), an array a list. It accepts Python's dialect as json.dumps
// writes it: the bare tokens NaN, Infinity and -Infinity, integers of
// any size, and lone surrogate escapes (which become U+FFFD, since Go
// strings hold UTF-8); invalid UTF-8 becomes U+FFFD too. Object keys are
// interned in strs (nil: none). Errors are *Error.
func Parse(b []byte, strs *intern.Table) (logbus.Value, error) {
	p := parser{b: b, str: strs}
	return p.document()
}

// parser is one pass over the input.
type parser struct {
	b   []byte
	i   int
	str *intern.Table
}

func (p *parser) errorf(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...), Offset: p.i}
}

func (p *parser) skipSpace() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// document parses one complete value with nothing but space after it.
func (p *parser) document() (logbus.Value, error) {
	v, err := p.value(0)
	if err != nil {
		return logbus.Value{}, err
	}
	p.skipSpace()
	if p.i != len(p.b) {
		return logbus.Value{}, p.errorf("trailing data")
	}
	return v, nil
}

func (p *parser) value(depth int) (logbus.Value, error) { return p.valueTagged(depth, true) }

// valueTagged parses a value; with tagged false an object is always a
// group (the body of a "$group" wrapper).
func (p *parser) valueTagged(depth int, tagged bool) (logbus.Value, error) {
	p.skipSpace()
	if p.i >= len(p.b) {
		return logbus.Value{}, p.errorf("unexpected end")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		if depth >= logbus.MaxDepth {
			return logbus.Value{}, &Error{Msg: "nesting too deep", Offset: p.i, TooDeep: true}
		}
		attrs, err := p.object(depth)
		if err != nil {
			return logbus.Value{}, err
		}
		if !tagged {
			return logbus.GroupValue(attrs...), nil
		}
		return untag(attrs), nil
	case c == '[':
		if depth >= logbus.MaxDepth {
			return logbus.Value{}, &Error{Msg: "nesting too deep", Offset: p.i, TooDeep: true}
		}
		return p.array(depth)
	case c == '"':
		s, err := p.string(false)
		return logbus.StringValue(s), err
	case c == '-' || c >= '0' && c <= '9':
		if p.hasWord("-Infinity") {
			return logbus.FloatValue(math.Inf(-1)), nil
		}
		return p.number()
	case p.hasWord("true"):
		return logbus.BoolValue(true), nil
	case p.hasWord("false"):
		return logbus.BoolValue(false), nil
	case p.hasWord("null"):
		return logbus.NullValue(), nil
	case p.hasWord("NaN"):
		return logbus.FloatValue(math.NaN()), nil
	case p.hasWord("Infinity"):
		return logbus.FloatValue(math.Inf(1)), nil
	}
	return logbus.Value{}, p.errorf("unexpected byte %q", p.b[p.i])
}

// hasWord consumes w when it is next.
func (p *parser) hasWord(w string) bool {
	if len(p.b)-p.i >= len(w) && string(p.b[p.i:p.i+len(w)]) == w {
		p.i += len(w)
		return true
	}
	return false
}

func (p *parser) object(depth int) ([]logbus.Attr, error) {
	p.i++ // '{'
	attrs := []logbus.Attr{}
	p.skipSpace()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return attrs, nil
	}
	for {
		p.skipSpace()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, p.errorf("want object key")
		}
		k, err := p.string(true)
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return nil, p.errorf("want ':'")
		}
		p.i++
		v, err := p.valueTagged(depth+1, k != TagGroup)
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, logbus.Attr{Key: k, Value: v})
		p.skipSpace()
		if p.i >= len(p.b) {
			return nil, p.errorf("unexpected end in object")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return attrs, nil
		default:
			return nil, p.errorf("want ',' or '}'")
		}
	}
}

func (p *parser) array(depth int) (logbus.Value, error) {
	p.i++ // '['
	var list []logbus.Value
	p.skipSpace()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return logbus.ListValue(), nil
	}
	for {
		v, err := p.value(depth + 1)
		if err != nil {
			return logbus.Value{}, err
		}
		list = append(list, v)
		p.skipSpace()
		if p.i >= len(p.b) {
			return logbus.Value{}, p.errorf("unexpected end in array")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return logbus.ListValue(list...), nil
		default:
			return logbus.Value{}, p.errorf("want ',' or ']'")
		}
	}
}

func (p *parser) number() (logbus.Value, error) {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	if p.i == digits {
		return logbus.Value{}, p.errorf("bad number")
	}
	isFloat := false
	if p.i < len(p.b) && p.b[p.i] == '.' {
		isFloat = true
		p.i++
		frac := p.i
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
		}
		if p.i == frac {
			return logbus.Value{}, p.errorf("bad number")
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		isFloat = true
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		exp := p.i
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
		}
		if p.i == exp {
			return logbus.Value{}, p.errorf("bad number")
		}
	}
	text := p.b[start:p.i]
	if isFloat {
		f, err := strconv.ParseFloat(string(text), 64)
		if err != nil && !isRangeErr(err) {
			return logbus.Value{}, p.errorf("bad number %q", text)
		}
		return logbus.FloatValue(f), nil // out of range: ±Inf or 0, as Python reads it
	}
	// The common case first: strconv does not keep its argument, so the
	// conversion costs no allocation; IntegerValue may keep the digits.
	if n, err := strconv.ParseInt(string(text), 10, 64); err == nil {
		return logbus.IntValue(n), nil
	}
	if text[0] != '-' {
		if n, err := strconv.ParseUint(string(text), 10, 64); err == nil {
			return logbus.Uint64Value(n), nil
		}
	}
	v, _ := logbus.IntegerValue(string(text)) // digits checked above
	return v, nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// string reads a JSON string starting at its quote. Keys are interned.
func (p *parser) string(key bool) (string, error) {
	p.i++ // '"'
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '"' {
			raw := p.b[start:p.i]
			p.i++
			if !utf8.Valid(raw) {
				return string(toValidUTF8(nil, raw)), nil
			}
			if key {
				return p.str.String(raw), nil
			}
			return string(raw), nil
		}
		if c == '\\' {
			return p.escapedString(start)
		}
		p.i++
	}
	return "", p.errorf("unterminated string")
}

func (p *parser) escapedString(start int) (string, error) {
	buf := toValidUTF8(make([]byte, 0, p.i-start+16), p.b[start:p.i])
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c == '\\':
			if p.i+1 >= len(p.b) {
				return "", p.errorf("unterminated escape")
			}
			e := p.b[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.errorf("bad \\u escape")
				}
				if utf16.IsSurrogate(r) {
					// A pair decodes to one rune; a lone half cannot be
					// UTF-8 and becomes U+FFFD, as Python's surrogate
					// escapes do when encoded with errors="replace".
					r2 := utf8.RuneError
					save := p.i
					if p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
						p.i += 2
						if lo, ok := p.hex4(); ok {
							r2 = lo
						}
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
					} else {
						p.i = save
						r = utf8.RuneError
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", p.errorf("bad escape %q", e)
			}
		default:
			// Copy the run up to the next quote or backslash.
			j := p.i
			for j < len(p.b) && p.b[j] != '"' && p.b[j] != '\\' {
				j++
			}
			buf = toValidUTF8(buf, p.b[p.i:j])
			p.i = j
		}
	}
	return "", p.errorf("unterminated string")
}

func (p *parser) hex4() (rune, bool) {
	if len(p.b)-p.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.b[p.i : p.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	p.i += 4
	return r, true
}

// toValidUTF8 appends b with each invalid byte replaced by U+FFFD.
func toValidUTF8(dst, b []byte) []byte {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, b[:size]...)
		}
		b = b[size:]
	}
	return dst
}
