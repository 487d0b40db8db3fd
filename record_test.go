package logbus

import (
	"math/big"
	"testing"
)

// TestTakeAttr: the lab wizard's names fill the envelope when their value
// is a string or an integer; anything else stays an attribute.
func TestTakeAttr(t *testing.T) {
	var r Record
	for _, a := range []Attr{
		{Key: "equipment_id", Value: StringValue("scope-3")},
		{Key: "project_short_id", Value: StringValue("p-19")},
		{Key: "run_kind", Value: StringValue("cal")},
		{Key: "run_id", Value: IntValue(42)},
		{Key: "hostname", Value: StringValue("lab-7")},
		{Key: "equipment", Value: NullValue()},                // None: nothing
		{Key: "run_kind", Value: ListValue(StringValue("x"))}, // not a scalar: kept
		{Key: "operator", Value: StringValue("alice")},        // not a field name
	} {
		r.AddAttr(a)
	}
	want := Envelope{Host: "lab-7", Equipment: "scope-3", Run: Run{Project: "p-19", Kind: "cal", ID: "42"}}
	if !r.Envelope.equal(&want) {
		t.Errorf("envelope %+v", r.Envelope)
	}
	if len(r.Attrs) != 2 || r.Attrs[0].Key != "run_kind" || r.Attrs[1].Key != "operator" {
		t.Errorf("attrs %+v", r.Attrs)
	}
}

func TestValueEqual(t *testing.T) {
	nan := FloatValue(0)
	nan = FloatValue(nan.Float64() / nan.Float64())
	if !nan.Equal(FloatValue(nan.Float64())) {
		t.Error("NaN differs from NaN")
	}
	if FloatValue(0).Equal(FloatValue(-1*0.0*-1)) == FloatValue(0).Equal(FloatValue(negZero())) {
		t.Error("0 equals -0")
	}
	if IntValue(1).Equal(Uint64Value(1)) != true || Uint64Value(1<<63).Kind() != KindUint {
		t.Error("integers have more than one representation")
	}
	if ListValue(IntValue(1)).Equal(ListValue(IntValue(2))) || !GroupValue(Attr{Key: "a", Value: IntValue(1)}).Equal(GroupValue(Attr{Key: "a", Value: IntValue(1)})) {
		t.Error("nested values compared wrongly")
	}
}

func negZero() float64 {
	z := 0.0
	return -z
}

// TestIntegerValue: any decimal integer reads as the one kind that holds
// it, the same value big.Int reads.
func TestIntegerValue(t *testing.T) {
	for _, s := range []string{"0", "-0", "007", "-12", "9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "18446744073709551615", "18446744073709551616", "-9223372036854775809",
		"000000000000000000000000000018446744073709551616", "-0000123456789012345678901234567890"} {
		b, _ := new(big.Int).SetString(s, 10)
		got, ok := IntegerValue(s)
		if want := BigIntValue(b); !ok || !got.Equal(want) {
			t.Errorf("IntegerValue(%q) = %v (%v) %v, want %v (%v)", s, got, got.Kind(), ok, want, want.Kind())
		}
	}
	for _, bad := range []string{"", "-", "+1", "1.5", "1e3", "12a", " 1", "--1"} {
		if v, ok := IntegerValue(bad); ok {
			t.Errorf("IntegerValue(%q) = %v", bad, v)
		}
	}
}

func TestAsInt64(t *testing.T) {
	for _, c := range []struct {
		v    Value
		want int64
		ok   bool
	}{
		{IntValue(-3), -3, true}, {FloatValue(2.9), 2, true}, {FloatValue(-2.9), -2, true},
		{FloatValue(1e19), 0, false}, {StringValue("3"), 0, false}, {Uint64Value(1 << 63), 0, false},
	} {
		if got, ok := c.v.AsInt64(); got != c.want || ok != c.ok {
			t.Errorf("%v.AsInt64() = %d %v, want %d %v", c.v, got, ok, c.want, c.ok)
		}
	}
}
