package logbus

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"
)

// ValueKind tells which field of a Value is meaningful.
type ValueKind uint8

// The kinds of Value. Uint is used only above math.MaxInt64 and BigInt
// only beyond 64 bits, so every number has exactly one representation and
// round trips are exact.
const (
	KindNull ValueKind = iota
	KindBool
	KindInt
	KindUint
	KindFloat
	KindString
	KindBytes
	KindTime
	KindDuration
	KindBigInt
	KindList
	KindGroup
)

var kindNames = [...]string{"null", "bool", "int", "uint", "float", "string", "bytes", "time", "duration", "bigint", "list", "group"}

func (k ValueKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Value is an attribute value: a small tagged union that, unlike
// slog.Value, can be encoded and decoded without reflection and compared
// for equality after a round trip.
type Value struct {
	kind ValueKind
	num  uint64 // bool, int, uint, float bits, time (unix ns), duration
	str  string // string, bytes, bigint (decimal)
	kids []Attr // group members; list elements (with empty keys)
}

// Attr is a key and a value. A group value nests attributes.
type Attr struct {
	Key   string
	Value Value
}

// NullValue is the absent value (Python None, JSON null).
func NullValue() Value { return Value{} }

// BoolValue returns a boolean Value.
func BoolValue(b bool) Value {
	var n uint64
	if b {
		n = 1
	}
	return Value{kind: KindBool, num: n}
}

// IntValue returns an integer Value.
func IntValue(v int64) Value { return Value{kind: KindInt, num: uint64(v)} }

// Uint64Value returns an unsigned Value; values that fit int64 become Int.
func Uint64Value(v uint64) Value {
	if v <= math.MaxInt64 {
		return IntValue(int64(v))
	}
	return Value{kind: KindUint, num: v}
}

// FloatValue returns a float Value; ±Inf are kept and every NaN becomes
// the one canonical NaN, since no encoding keeps NaN payloads.
func FloatValue(f float64) Value {
	if f != f {
		f = math.NaN()
	}
	return Value{kind: KindFloat, num: math.Float64bits(f)}
}

// StringValue returns a string Value.
func StringValue(s string) Value { return Value{kind: KindString, str: s} }

// BytesValue returns a Value holding a copy of b.
func BytesValue(b []byte) Value { return Value{kind: KindBytes, str: string(b)} }

// TimeValue returns a time Value, kept as UTC nanoseconds since the Unix
// epoch. Times outside the int64 nanosecond range (years 1678..2262) are
// clamped to its ends.
func TimeValue(t time.Time) Value { return Value{kind: KindTime, num: uint64(UnixNano(t))} }

// DurationValue returns a duration Value.
func DurationValue(d time.Duration) Value { return Value{kind: KindDuration, num: uint64(d)} }

// BigIntValue returns an integer Value of any size; values that fit int64
// or uint64 become Int or Uint.
func BigIntValue(b *big.Int) Value {
	if b.IsInt64() {
		return IntValue(b.Int64())
	}
	if b.IsUint64() {
		return Uint64Value(b.Uint64())
	}
	return Value{kind: KindBigInt, str: b.String()}
}

// IntegerValue returns the integer written in decimal in s (an optional
// '-', then digits, any number of them) as the one kind that holds it:
// Int, Uint above math.MaxInt64, BigInt beyond 64 bits. Its time is
// linear in len(s), where big.Int's parsing is not, so a hostile payload
// of a million digits costs no more than its bytes. The second result is
// false when s is not such a number.
func IntegerValue(s string) (Value, bool) {
	digits := s
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" {
		return Value{}, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return Value{}, false
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return IntValue(n), true
	}
	if s[0] != '-' {
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return Uint64Value(n), true
		}
	}
	// Beyond 64 bits: the digits are kept as text, leading zeros cut so
	// that equal numbers have equal digits.
	for len(digits) > 1 && digits[0] == '0' {
		digits = digits[1:]
	}
	if s[0] == '-' {
		return Value{kind: KindBigInt, str: "-" + digits}, true
	}
	return Value{kind: KindBigInt, str: digits}, true
}

// ListValue returns a list Value.
func ListValue(vs ...Value) Value {
	kids := make([]Attr, len(vs))
	for i, v := range vs {
		kids[i].Value = v
	}
	return Value{kind: KindList, kids: kids}
}

// ListOf returns a list Value of the values in kids, whose keys are
// ignored; it keeps kids. Decoders build lists this way, at their final
// size, without the copy ListValue makes.
func ListOf(kids []Attr) Value {
	for i := range kids {
		kids[i].Key = ""
	}
	return Value{kind: KindList, kids: kids}
}

// GroupValue returns a group Value; it keeps as.
func GroupValue(as ...Attr) Value { return Value{kind: KindGroup, kids: as} }

// Kind reports the kind of v.
func (v Value) Kind() ValueKind { return v.kind }

// Bool returns the value of a Bool.
func (v Value) Bool() bool { return v.num != 0 }

// Int64 returns the value of an Int.
func (v Value) Int64() int64 { return int64(v.num) }

// Uint64 returns the value of a Uint.
func (v Value) Uint64() uint64 { return v.num }

// AsInt64 reads v as an integer the way Python's int() reads a number:
// an Int as it is, a Float truncated toward zero when it fits int64.
// The second result is false for anything else.
func (v Value) AsInt64() (int64, bool) {
	switch v.kind {
	case KindInt:
		return int64(v.num), true
	case KindFloat:
		f := v.Float64()
		if f >= math.MinInt64 && f < math.MaxInt64 {
			return int64(f), true
		}
	}
	return 0, false
}

// Float64 returns the value of a Float.
func (v Value) Float64() float64 { return math.Float64frombits(v.num) }

// Str returns the value of a String (and the raw bytes of Bytes, the
// digits of a BigInt).
func (v Value) Str() string { return v.str }

// Bytes returns the value of a Bytes as a new slice.
func (v Value) Bytes() []byte { return []byte(v.str) }

// Time returns the value of a Time, in UTC.
func (v Value) Time() time.Time { return time.Unix(0, int64(v.num)).UTC() }

// UnixNano returns the value of a Time as nanoseconds since the Unix
// epoch: what the encodings write.
func (v Value) UnixNano() int64 { return int64(v.num) }

// Duration returns the value of a Duration.
func (v Value) Duration() time.Duration { return time.Duration(v.num) }

// BigInt returns the value of any integer kind as a big.Int.
func (v Value) BigInt() *big.Int {
	switch v.kind {
	case KindInt:
		return big.NewInt(v.Int64())
	case KindUint:
		return new(big.Int).SetUint64(v.num)
	case KindBigInt:
		b, ok := new(big.Int).SetString(v.str, 10)
		if ok {
			return b
		}
	}
	return nil
}

// List returns the elements of a List in a new slice.
func (v Value) List() []Value {
	if v.kind != KindList {
		return nil
	}
	l := make([]Value, len(v.kids))
	for i, k := range v.kids {
		l[i] = k.Value
	}
	return l
}

// Len returns the number of elements of a List or members of a Group.
func (v Value) Len() int { return len(v.kids) }

// Index returns element i of a List.
func (v Value) Index(i int) Value { return v.kids[i].Value }

// Group returns the attributes of a Group (not a copy).
func (v Value) Group() []Attr {
	if v.kind != KindGroup {
		return nil
	}
	return v.kids
}

// Equal reports whether v and w are the same value. Floats compare by bit
// pattern, so NaN equals NaN and 0 differs from -0: what a round trip
// must preserve.
func (v Value) Equal(w Value) bool {
	if v.kind != w.kind {
		return false
	}
	switch v.kind {
	case KindList, KindGroup:
		return AttrsEqual(v.kids, w.kids)
	default:
		return v.num == w.num && v.str == w.str
	}
}

// AttrsEqual reports whether two attribute lists are equal, in order.
func AttrsEqual(a, b []Attr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || !a[i].Value.Equal(b[i].Value) {
			return false
		}
	}
	return true
}

// String formats v for people (the file sink's text lines).
func (v Value) String() string {
	return string(v.AppendString(nil))
}

// AppendString appends what String returns, without allocating for
// scalars.
func (v Value) AppendString(dst []byte) []byte {
	switch v.kind {
	case KindNull:
		return append(dst, "null"...)
	case KindBool:
		return strconv.AppendBool(dst, v.Bool())
	case KindInt:
		return strconv.AppendInt(dst, v.Int64(), 10)
	case KindUint:
		return strconv.AppendUint(dst, v.num, 10)
	case KindFloat:
		return strconv.AppendFloat(dst, v.Float64(), 'g', -1, 64)
	case KindDuration:
		return append(dst, v.Duration().String()...)
	case KindString, KindBigInt:
		return append(dst, v.str...)
	case KindBytes:
		return fmt.Appendf(dst, "%x", v.str)
	case KindTime:
		return v.Time().AppendFormat(dst, time.RFC3339Nano)
	case KindList:
		dst = append(dst, '[')
		for i, e := range v.kids {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = e.Value.AppendString(dst)
		}
		return append(dst, ']')
	case KindGroup:
		dst = append(dst, '{')
		for i, a := range v.Group() {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = append(dst, a.Key...)
			dst = append(dst, '=')
			dst = a.Value.AppendString(dst)
		}
		return append(dst, '}')
	}
	return dst
}

// ClampTime limits t to what a Record carries: UTC nanoseconds in int64,
// years 1678 to 2262. Decoders apply it to every time they read.
func ClampTime(t time.Time) time.Time { return time.Unix(0, UnixNano(t)).UTC() }

// UnixNano returns t as nanoseconds since the Unix epoch, clamped to the
// int64 range (t.UnixNano is undefined outside it): how the encodings
// carry times.
func UnixNano(t time.Time) int64 {
	const minSec, maxSec int64 = math.MinInt64/1_000_000_000 + 1, math.MaxInt64/1_000_000_000 - 1
	s := t.Unix()
	switch {
	case s < minSec:
		return math.MinInt64
	case s > maxSec:
		return math.MaxInt64
	}
	return t.UnixNano()
}

// MaxDepth bounds the nesting of lists and groups that decoders accept
// and encoders write, so a hostile payload cannot exhaust the stack.
const MaxDepth = 64
