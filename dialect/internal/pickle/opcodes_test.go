package pickle

import (
	"math"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestOpcodes(t *testing.T) {
	two64, _ := new(big.Int).SetString("18446744073709551616", 10)
	big20, _ := new(big.Int).SetString("99999999999999999999", 10)
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"NONE", "N.", nil},
		{"NEWTRUE", "\x88.", true},
		{"NEWFALSE", "\x89.", false},
		{"INT true", "I01\n.", true},
		{"INT false", "I00\n.", false},
		{"INT", "I42\n.", int64(42)},
		{"INT negative", "I-7\n.", int64(-7)},
		{"INT hex", "I0x1f\n.", int64(31)},
		{"INT big", "I99999999999999999999\n.", big20},
		{"LONG", "L123L\n.", int64(123)},
		{"BININT", "J\xff\xff\xff\xff.", int64(-1)},
		{"BININT1", "K\xff.", int64(255)},
		{"BININT2", "M\xff\xff.", int64(65535)},
		{"LONG1 zero", "\x8a\x00.", int64(0)},
		{"LONG1 -1", "\x8a\x01\xff.", int64(-1)},
		{"LONG1 255", "\x8a\x02\xff\x00.", int64(255)},
		{"LONG1 min int64", "\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80.", int64(math.MinInt64)},
		{"LONG1 2^64", "\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.", two64},
		{"LONG1 -2^64", "\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xff.", new(big.Int).Neg(two64)},
		{"LONG1 padded", "\x8a\x09\x05\x00\x00\x00\x00\x00\x00\x00\x00.", int64(5)},
		{"LONG4", "\x8b\x02\x00\x00\x00\x00\x80.", int64(-32768)},
		{"BINFLOAT", "G?\xf8\x00\x00\x00\x00\x00\x00.", 1.5},
		{"FLOAT", "F1e3\n.", 1000.0},
		{"FLOAT nan", "Fnan\n.", math.NaN()},
		{"FLOAT -inf", "F-inf\n.", math.Inf(-1)},
		{"STRING escapes", `S'a\x41\n\101\q'` + "\n.", "aA\nA\\q"},
		{"STRING double quotes", "S\"it's\"\n.", "it's"},
		{"SHORT_BINSTRING not UTF-8", "U\x02\xff\xfe.", []byte{0xff, 0xfe}},
		{"BINSTRING", "T\x02\x00\x00\x00hi.", "hi"},
		{"UNICODE", "Vcaf\xe9\\u20ac \\\\u0041 \\U0001f600\n.", "caf\u00e9\u20ac \\\\u0041 \U0001F600"},
		{"BINUNICODE", "X\x03\x00\x00\x00\xe2\x82\xac.", "\u20ac"},
		{"BINUNICODE lone surrogate", "X\x03\x00\x00\x00\xed\xb3\xbf.", "\uFFFD"},
		{"SHORT_BINUNICODE surrogate pair", "\x8c\x06\xed\xa0\xbd\xed\xb8\x80.", "\U0001F600"},
		{"SHORT_BINUNICODE invalid byte", "\x8c\x03a\xffb.", "a\uFFFDb"},
		{"BINUNICODE8", "\x8d\x02\x00\x00\x00\x00\x00\x00\x00ok.", "ok"},
		{"SHORT_BINBYTES", "C\x02ab.", []byte("ab")},
		{"BINBYTES", "B\x01\x00\x00\x00z.", []byte("z")},
		{"BINBYTES8", "\x8e\x00\x00\x00\x00\x00\x00\x00\x00.", []byte{}},
		{"BYTEARRAY8", "\x96\x01\x00\x00\x00\x00\x00\x00\x00q.", []byte("q")},
		{"READONLY_BUFFER", "C\x01a\x98.", []byte("a")},
		{"EMPTY_LIST APPENDS", "]q\x00(K\x01K\x02e.", []any{int64(1), int64(2)}},
		{"LIST", "(K\x01K\x02l.", []any{int64(1), int64(2)}},
		{"APPEND", "]K\x01a.", []any{int64(1)}},
		{"TUPLE", "(K\x01t.", Tuple{int64(1)}},
		{"EMPTY_TUPLE", ").", Tuple{}},
		{"TUPLE1", "K\x01\x85.", Tuple{int64(1)}},
		{"TUPLE2", "K\x01K\x02\x86.", Tuple{int64(1), int64(2)}},
		{"TUPLE3", "K\x01K\x02K\x03\x87.", Tuple{int64(1), int64(2), int64(3)}},
		{"SETITEMS", "}(K\x01K\x02u.", dict(int64(1), int64(2))},
		{"DICT", "(\x8c\x01aK\x02d.", dict("a", int64(2))},
		{"SETITEM", "}K\x01K\x02s.", dict(int64(1), int64(2))},
		{"dict keys 1 True 1.0 are one key", "(K\x01K\x02\x88K\x03G?\xf0\x00\x00\x00\x00\x00\x00K\x04d.", dict(int64(1), int64(4))},
		{"dict str and bytes keys differ", "(\x8c\x01aK\x01C\x01aK\x02d.", dict("a", int64(1), []byte("a"), int64(2))},
		{"dict NaN keys never equal", "}(G\x7f\xf8\x00\x00\x00\x00\x00\x00K\x01G\x7f\xf8\x00\x00\x00\x00\x00\x00K\x02u.",
			dict(math.NaN(), int64(1), math.NaN(), int64(2))},
		{"dict tuple keys", "}(K\x01\x85K\x01K\x01\x85K\x02u.", dict(Tuple{int64(1)}, int64(2))},
		{"EMPTY_SET ADDITEMS", "\x8f(K\x01K\x01K\x02\x90.", Set{int64(1), int64(2)}},
		{"FROZENSET", "(K\x01\x91.", Set{int64(1)}},
		{"MEMOIZE BINGET", "K\x07\x94h\x00\x86.", Tuple{int64(7), int64(7)}},
		{"PUT GET", "K\x07p3\ng3\n\x86.", Tuple{int64(7), int64(7)}},
		{"LONG_BINPUT LONG_BINGET sparse", "K\x07r\xff\xff\xff\xffj\xff\xff\xff\xff\x86.", Tuple{int64(7), int64(7)}},
		{"memo sees later mutation", "]q\x00h\x00\x85q\x01h\x00K\x05a0.", Tuple{[]any{int64(5)}}},
		{"DUP", "K\x012\x86.", Tuple{int64(1), int64(1)}},
		{"POP_MARK", "K\x01(K\x02K\x031.", int64(1)},
		{"POP removes a MARK", "K\x01(0.", int64(1)},
		{"POP", "K\x01K\x020.", int64(1)},
		{"PROTO FRAME", "\x80\x05\x95\x02\x00\x00\x00\x00\x00\x00\x00N.", nil},
		{"data after STOP ignored", "N.garbage", nil},
		{"GLOBAL", "cos\nsystem\n.", Global{"os", "system"}},
		{"STACK_GLOBAL", "\x8c\x03foo\x8c\x07Bar.baz\x93.", Global{"foo", "Bar.baz"}},
		{"REDUCE of os.system is inert", "cos\nsystem\n\x8c\x02ls\x85R.",
			Object{Class: Global{"os", "system"}, Args: Tuple{"ls"}}},
		{"NEWOBJ BUILD", "cfoo\nBar\n)\x81}(\x8c\x01aK\x01ub.",
			Object{Class: Global{"foo", "Bar"}, Args: Tuple{}, State: dict("a", int64(1))}},
		{"BUILD twice merges dicts", "cfoo\nBar\n)\x81}(\x8c\x01aK\x01ub}(\x8c\x01bK\x02ub.",
			Object{Class: Global{"foo", "Bar"}, Args: Tuple{}, State: dict("a", int64(1), "b", int64(2))}},
		{"NEWOBJ_EX", "cfoo\nBar\n)}(\x8c\x01kK\x01u\x92.",
			Object{Class: Global{"foo", "Bar"}, Args: Tuple{}, Kwargs: dict("k", int64(1))}},
		{"NEWOBJ_EX without kwargs", "cdatetime\ntimedelta\nK\x01\x85}\x92.", 24 * time.Hour},
		{"INST", "(K\x01ifoo\nBar\n.", Object{Class: Global{"foo", "Bar"}, Args: Tuple{int64(1)}}},
		{"OBJ", "(cfoo\nBar\nK\x01o.", Object{Class: Global{"foo", "Bar"}, Args: Tuple{int64(1)}}},
		{"APPENDS on object", "cfoo\nL\n)\x81(K\x01e.",
			Object{Class: Global{"foo", "L"}, Args: Tuple{}, ListItems: []any{int64(1)}}},
		{"datetime from fields", "cdatetime\ndatetime\n(M\xe8\x07K\x01K\x02K\x03K\x04K\x05K\x06tR.",
			time.Date(2024, 1, 2, 3, 4, 5, 6000, Naive)},
		{"datetime with unknown tzinfo stays an Object",
			"cdatetime\ndatetime\nC\x0a\x07\xe8\x01\x02\x03\x04\x05\x00\x00\x00czoneinfo\nZoneInfo\n\x86R.",
			Object{Class: Global{"datetime", "datetime"},
				Args: Tuple{[]byte{7, 0xe8, 1, 2, 3, 4, 5, 0, 0, 0}, Global{"zoneinfo", "ZoneInfo"}}}},
		{"datetime with invalid day stays an Object", "cdatetime\ndatetime\n(M\xe8\x07K\x02K\x1etR.",
			Object{Class: Global{"datetime", "datetime"}, Args: Tuple{int64(2024), int64(2), int64(30)}}},
		{"date from fields", "cdatetime\ndate\n(M\xe8\x07K\x01K\x02tR.", time.Date(2024, 1, 2, 0, 0, 0, 0, Naive)},
		{"timedelta out of Duration range stays an Object", "cdatetime\ntimedelta\n(J\xff\xc9\x9a\x3bK\x00K\x00tR.",
			Object{Class: Global{"datetime", "timedelta"}, Args: Tuple{int64(999999999), int64(0), int64(0)}}},
		{"_codecs.encode latin1", "c_codecs\nencode\n\x8c\x02\xc3\xbf\x8c\x06latin1\x86R.", []byte{0xff}},
		{"_codecs.encode unencodable stays an Object", "c_codecs\nencode\n\x8c\x03\xe2\x82\xac\x8c\x06latin1\x86R.",
			Object{Class: Global{"_codecs", "encode"}, Args: Tuple{"\u20ac", "latin1"}}},
		{"OrderedDict from pairs", "ccollections\nOrderedDict\n](\x8c\x01bK\x01\x86\x8c\x01aK\x02\x86e\x85R.",
			dict("b", int64(1), "a", int64(2))},
		{"set from list", "c__builtin__\nset\n](K\x02K\x01K\x02e\x85R.", Set{int64(2), int64(1)}},
		{"bytes empty", "c__builtin__\nbytes\n)R.", []byte{}},
		{"copyreg reconstructor", "ccopy_reg\n_reconstructor\n(cfoo\nBar\nc__builtin__\nobject\nNtR}b.",
			Object{Class: Global{"foo", "Bar"}, State: dict()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatalf("Decode(%q): %v", tt.in, err)
			}
			if s := diff("value", got, tt.want); s != "" {
				t.Error(s)
			}
		})
	}
}

func TestDictGet(t *testing.T) {
	v, err := Decode([]byte("}(\x8c\x01aK\x01K\x02K\x03\x8c\x01bK\x04u."))
	if err != nil {
		t.Fatal(err)
	}
	d := v.(*Dict)
	if got, ok := d.Get("b"); !ok || got != int64(4) {
		t.Errorf(`Get("b") = %v, %v`, got, ok)
	}
	if _, ok := d.Get("c"); ok {
		t.Error(`Get("c") found a value`)
	}
	var nilDict *Dict
	if _, ok := nilDict.Get("a"); ok || nilDict.Len() != 0 {
		t.Error("nil *Dict is not empty")
	}
}

// A dict large enough to switch from scanning to a hash index must still
// deduplicate keys (here 20 keys set twice, the second time in reverse
// order) and keep the first insertion order.
func TestDictIndexedDedup(t *testing.T) {
	var p strings.Builder
	p.WriteString("}(")
	for i := range 20 {
		p.WriteString("K" + string(rune(i)) + "K" + string(rune(i)))
	}
	for i := range 20 {
		p.WriteString("K" + string(rune(19-i)) + "Kc")
	}
	p.WriteString("u.")
	v, err := Decode([]byte(p.String()))
	if err != nil {
		t.Fatal(err)
	}
	d := v.(*Dict)
	if d.Len() != 20 {
		t.Fatalf("got %d keys, want 20", d.Len())
	}
	for i := range 20 {
		if d.Keys[i] != int64(i) || d.Values[i] != int64('c') {
			t.Fatalf("entry %d = %v: %v", i, d.Keys[i], d.Values[i])
		}
	}
}
