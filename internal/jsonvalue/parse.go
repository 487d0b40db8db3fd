package jsonvalue

import (
	"encoding/binary"
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
// strings hold UTF-8); invalid UTF-8 becomes U+FFFD too. Object keys and
// short strings are interned in strs (nil: none). Errors are *Error.
func Parse(b []byte, strs *intern.Table) (logbus.Value, error) {
	p := parser{b: b, str: strs}
	return p.document()
}

// parser is one pass over the input. Objects and arrays collect their
// members on scratch (shared by every level: a level's members sit above
// its parent's) and are copied out once, at their exact size: one
// allocation per group or list, none for a tagged value.
type parser struct {
	b       []byte
	i       int
	str     *intern.Table
	scratch []logbus.Attr
}

// Parser reads a JSON document a member at a time, for decoders that
// store some members straight into their own structures (codec's fast
// path for logbus's schema) and take the rest as Values. It reads what
// Parse reads, the same way; it keeps its scratch between documents.
type Parser struct {
	p    parser
	open []bool // per object Begin opened: whether a member was read
}

// Object reads the document b, which must be one object, and returns its
// members, Parse's way, in the parser's own memory: valid until the next
// call. A document that is valid JSON but not an object (a tagged value
// is not one) returns a nil slice, no error, and its kind.
func (q *Parser) Object(b []byte, strs *intern.Table) ([]logbus.Attr, logbus.ValueKind, error) {
	q.Reset(b, strs)
	p := &q.p
	p.skipSpace()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		v, err := p.document()
		return nil, v.Kind(), err
	}
	start, err := p.object(0)
	if err != nil {
		return nil, 0, err
	}
	attrs := p.scratch[start:]
	if v, ok := untagScalar(attrs); ok {
		if v.Kind() == logbus.KindGroup { // {"$group":{…}}: the group it wraps
			return v.Group(), logbus.KindGroup, q.Finish()
		}
		return nil, v.Kind(), q.Finish()
	}
	return attrs, logbus.KindGroup, q.Finish()
}

// Reset starts reading b, interning in strs (nil: none).
func (q *Parser) Reset(b []byte, strs *intern.Table) {
	q.p.b, q.p.i, q.p.str = b, 0, strs
	// What the last document left (its members, and the tail an error cut
	// off) must not keep its values alive; a scratch grown by one huge
	// document is dropped.
	if cap(q.p.scratch) > maxScratch {
		q.p.scratch = nil
	} else {
		q.p.drop(0) // the members Object returned; the rest is cleared as it is dropped
	}
	q.open = q.open[:0]
}

// maxScratch bounds the members a Parser keeps room for between
// documents.
const maxScratch = 1024

// ValueUntagged reads the value that comes next with an object always a
// group, never a tagged value: the body of a "$group" wrapper, or a
// member the caller reads as a group whatever its keys.
func (q *Parser) ValueUntagged() (logbus.Value, error) { return q.p.valueTagged(len(q.open), false) }

// Begin reads the '{' of the object that comes next; Key then gives its
// members' keys in order, each followed by a read of its value (Value,
// or Begin and Key for an object), until Key reports the end.
func (q *Parser) Begin() error {
	p := &q.p
	p.skipSpace()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return p.errorf("want an object")
	}
	if len(q.open) >= logbus.MaxDepth {
		return &Error{Msg: "nesting too deep", Offset: p.i, TooDeep: true}
	}
	p.i++
	q.open = append(q.open, false)
	return nil
}

// Key reads the next member's key of the object Begin opened, or its
// closing '}' (ok false).
func (q *Parser) Key() (key string, ok bool, err error) {
	p := &q.p
	n := len(q.open) - 1
	if n < 0 {
		return "", false, p.errorf("no object open")
	}
	p.skipSpace()
	if p.i >= len(p.b) {
		return "", false, p.errorf("unexpected end in object")
	}
	switch c := p.b[p.i]; {
	case c == '}':
		p.i++
		q.open = q.open[:n]
		return "", false, nil
	case q.open[n]: // after a member: a comma first
		if c != ',' {
			return "", false, p.errorf("want ',' or '}'")
		}
		p.i++
		p.skipSpace()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return "", false, p.errorf("want object key")
		}
	case c != '"':
		return "", false, p.errorf("want object key")
	}
	q.open[n] = true
	if key, err = p.string(true); err != nil {
		return "", false, err
	}
	p.skipSpace()
	if p.i >= len(p.b) || p.b[p.i] != ':' {
		return "", false, p.errorf("want ':'")
	}
	p.i++
	return key, true, nil
}

// Value reads the value that comes next, as Parse would.
func (q *Parser) Value() (logbus.Value, error) { return q.p.value(len(q.open)) }

// Next returns the next byte that is not space (0 at the end), without
// reading it: what kind of value comes.
func (q *Parser) Next() byte {
	q.p.skipSpace()
	if q.p.i >= len(q.p.b) {
		return 0
	}
	return q.p.b[q.p.i]
}

// Finish reports an error unless only space is left.
func (q *Parser) Finish() error {
	q.p.skipSpace()
	if q.p.i != len(q.p.b) {
		return q.p.errorf("trailing data")
	}
	return nil
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
		start, err := p.object(depth)
		if err != nil {
			p.drop(start)
			return logbus.Value{}, err
		}
		if tagged {
			if v, ok := untagScalar(p.scratch[start:]); ok {
				p.drop(start)
				return v, nil
			}
		}
		return logbus.GroupValue(p.members(start)...), nil
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

// object reads an object's members onto scratch and returns where they
// start.
func (p *parser) object(depth int) (int, error) {
	p.i++ // '{'
	start := len(p.scratch)
	p.skipSpace()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return start, nil
	}
	for {
		p.skipSpace()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return start, p.errorf("want object key")
		}
		k, err := p.string(true)
		if err != nil {
			return start, err
		}
		p.skipSpace()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return start, p.errorf("want ':'")
		}
		p.i++
		v, err := p.valueTagged(depth+1, k != TagGroup && (depth > 0 || !topLevelGroup(k)))
		if err != nil {
			return start, err
		}
		p.scratch = append(p.scratch, logbus.Attr{Key: k, Value: v})
		p.skipSpace()
		if p.i >= len(p.b) {
			return start, p.errorf("unexpected end in object")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return start, nil
		default:
			return start, p.errorf("want ',' or '}'")
		}
	}
}

// topLevelGroup reports the members of a document's top level that logbus
// reads as groups whatever their keys (its schema's "attrs", "run" and
// "source"): a record whose only attribute is named "$time" is written
// {"attrs":{"$time":…}}, and must read back as that attribute.
func topLevelGroup(k string) bool { return k == "attrs" || k == "run" || k == "source" }

// members copies the scratch from start out (the members of the object
// just read) and drops them from scratch.
func (p *parser) members(start int) []logbus.Attr {
	attrs := make([]logbus.Attr, len(p.scratch)-start)
	copy(attrs, p.scratch[start:])
	p.drop(start)
	return attrs
}

// drop cuts scratch back to start, clearing what it cuts: the scratch
// must not keep what the values point to alive.
func (p *parser) drop(start int) {
	clear(p.scratch[start:])
	p.scratch = p.scratch[:start]
}

func (p *parser) array(depth int) (logbus.Value, error) {
	p.i++ // '['
	start := len(p.scratch)
	p.skipSpace()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return logbus.ListValue(), nil
	}
	for {
		v, err := p.value(depth + 1)
		if err != nil {
			p.drop(start)
			return logbus.Value{}, err
		}
		p.scratch = append(p.scratch, logbus.Attr{Value: v})
		p.skipSpace()
		if p.i >= len(p.b) {
			p.drop(start)
			return logbus.Value{}, p.errorf("unexpected end in array")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return logbus.ListOf(p.members(start)), nil
		default:
			p.drop(start)
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
	// Up to 19 digits fit a uint64 without overflow: read them here (strconv
	// would allocate its range error for the uint64s above int64, such as
	// stream ids). IntegerValue keeps larger ones exactly.
	neg := text[0] == '-'
	digitsText := text
	if neg {
		digitsText = text[1:]
	}
	if len(digitsText) <= 19 {
		var n uint64
		for _, c := range digitsText {
			n = n*10 + uint64(c-'0')
		}
		switch {
		case !neg && n <= math.MaxInt64:
			return logbus.IntValue(int64(n)), nil
		case !neg:
			return logbus.Uint64Value(n), nil
		case n <= 1<<63:
			return logbus.IntValue(int64(-n)), nil //nolint:gosec // -n of at most 2^63 is MinInt64 at the least
		}
	} else if !neg {
		if n, err := strconv.ParseUint(string(digitsText), 10, 64); err == nil {
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

// string reads a JSON string starting at its quote. Strings up to
// intern.MaxLen bytes are interned (keys, and the host and logger names
// values repeat).
func (p *parser) string(key bool) (string, error) {
	p.i++ // '"'
	start := p.i
	ascii := true
	// Eight bytes at a time while none is a quote, a backslash or
	// non-ASCII (most of a log's text): a word holds a byte equal to q when
	// w^q has a zero byte, found by the borrow trick.
	for p.i+8 <= len(p.b) {
		w := binary.LittleEndian.Uint64(p.b[p.i:])
		q, bs := w^(ones*'"'), w^(ones*'\\')
		if (q-ones)&^q&highs|(bs-ones)&^bs&highs|w&highs != 0 {
			break
		}
		p.i += 8
	}
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			raw := p.b[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(raw) {
				return string(toValidUTF8(nil, raw)), nil
			}
			return p.str.String(raw), nil // short strings interned, as msgpack's are
		case c == '\\':
			return p.escapedString(start)
		case c >= utf8.RuneSelf:
			ascii = false
		}
		p.i++
	}
	return "", p.errorf("unterminated string")
}

// Eight-byte masks for the string scan.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

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
