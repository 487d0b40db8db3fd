package pickle

import (
	"errors"
	"strings"
	"testing"
)

var sentinels = []error{ErrTruncated, ErrUnsupportedOpcode, ErrTooLarge, ErrMalformed, ErrRecursive}

// checkErr asserts err wraps want and, like every error of the package,
// carries the "pickle: " prefix.
func checkErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	if !strings.HasPrefix(err.Error(), "pickle: ") {
		t.Errorf("error %q lacks the package prefix", err)
	}
}

func TestHostile(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrTruncated},
		{"no STOP", "N", ErrTruncated},
		{"BINUNICODE claims 4 GiB", "X\xff\xff\xff\xff", ErrTruncated},
		{"BINUNICODE8 claims 2^62", "\x8d\x00\x00\x00\x00\x00\x00\x00\x40abc.", ErrTruncated},
		{"BINBYTES8 claims 2^64-1", "\x8e\xff\xff\xff\xff\xff\xff\xff\xffabc.", ErrTruncated},
		{"BYTEARRAY8 claims 2^63", "\x96\x00\x00\x00\x00\x00\x00\x00\x80.", ErrTruncated},
		{"FRAME claims 2^62", "\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x40N.", ErrTruncated},
		{"LONG4 claims 1 GiB", "\x8b\x00\x00\x00\x40\x00.", ErrTruncated},
		{"LONG4 negative length", "\x8b\xff\xff\xff\xff.", ErrMalformed},
		{"BINSTRING negative length", "T\xff\xff\xff\xff.", ErrMalformed},
		{"truncated BINFLOAT", "G\x00\x00", ErrTruncated},
		{"text line without newline", "I123", ErrTruncated},
		{"STOP on empty stack", ".", ErrMalformed},
		{"STOP below MARK", "N(.", ErrMalformed},
		{"APPEND on empty stack", "a.", ErrMalformed},
		{"APPENDS without MARK", "]e.", ErrMalformed},
		{"TUPLE2 crossing MARK", "K\x01(K\x02\x86.", ErrMalformed},
		{"BINGET unknown key", "h\x00.", ErrMalformed},
		{"BINPUT on empty stack", "q\x00.", ErrMalformed},
		{"GET bad key", "N\x67x\n.", ErrMalformed},
		{"unknown opcode", "\xff", ErrUnsupportedOpcode},
		{"protocol 6", "\x80\x06N.", ErrUnsupportedOpcode},
		{"PERSID", "P1\n.", ErrUnsupportedOpcode},
		{"BINPERSID", "NQ.", ErrUnsupportedOpcode},
		{"EXT1", "\x82\x01.", ErrUnsupportedOpcode},
		{"EXT4", "\x84\x01\x00\x00\x00.", ErrUnsupportedOpcode},
		{"NEXT_BUFFER", "\x97.", ErrUnsupportedOpcode},
		{"list as dict key", "}]K\x01s.", ErrMalformed},
		{"dict as set element", "\x8f(}\x90.", ErrMalformed},
		{"list inside tuple key", "}]\x85K\x01s.", ErrMalformed},
		{"ADDITEMS on frozenset", "(\x91(K\x01\x90.", ErrMalformed},
		{"list contains itself", "]q\x00h\x00a.", ErrRecursive},
		{"dict contains itself", "}q\x00K\x01h\x00s.", ErrRecursive},
		{"object state is itself", "cfoo\nBar\n)\x81q\x00h\x00b.", ErrRecursive},
		{"REDUCE on an int", "K\x01)R.", ErrMalformed},
		{"REDUCE args not a tuple", "cfoo\nbar\nK\x01R.", ErrMalformed},
		{"BUILD on an int", "K\x01K\x02b.", ErrMalformed},
		{"BUILD on a dict", "}}b.", ErrMalformed},
		{"STACK_GLOBAL of ints", "K\x01K\x02\x93.", ErrMalformed},
		{"GLOBAL not UTF-8", "c\xff\nx\n.", ErrMalformed},
		{"OBJ without class", "(o.", ErrMalformed},
		{"NEWOBJ_EX kwargs not dict", "cfoo\nBar\n)K\x01\x92.", ErrMalformed},
		{"odd DICT", "(K\x01K\x02K\x03d.", ErrMalformed},
		{"odd SETITEMS", "}(K\x01u.", ErrMalformed},
		{"STRING unquoted", "Sabc\n.", ErrMalformed},
		{"STRING bad hex escape", "S'\\x4'\n.", ErrMalformed},
		{"STRING trailing backslash", "S'a\\'\n.", ErrMalformed},
		{"UNICODE truncated escape", "V\\u12\n.", ErrMalformed},
		{"UNICODE escape out of range", "V\\U00110000\n.", ErrMalformed},
		{"INT garbage", "I12x\n.", ErrMalformed},
		{"INT leading zeros", "I012\n.", ErrMalformed},
		{"INT 5000 digits", "I" + strings.Repeat("9", 5000) + "\n.", ErrTooLarge},
		{"FLOAT garbage", "Fabc\n.", ErrMalformed},
		{"FLOAT hex", "F0x1p3\n.", ErrMalformed},
		{"FLOAT overflow", "F1e999\n.", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Decode([]byte(tt.in))
			if err == nil {
				t.Fatalf("Decode(%q) = %#v, want error", tt.in, v)
			}
			checkErr(t, err, tt.want)
		})
	}
}

func TestLimits(t *testing.T) {
	t.Run("MaxBytes", func(t *testing.T) {
		_, err := DecodeLimits([]byte("NNNNNNNNNN."), &Limits{MaxBytes: 5})
		checkErr(t, err, ErrTooLarge)
	})
	t.Run("stack MaxItems", func(t *testing.T) {
		_, err := DecodeLimits([]byte(strings.Repeat("N", 100)+"."), &Limits{MaxItems: 10})
		checkErr(t, err, ErrTooLarge)
	})
	t.Run("container MaxItems", func(t *testing.T) {
		in := "]" + strings.Repeat("Na", 100) + "."
		_, err := DecodeLimits([]byte(in), &Limits{MaxItems: 10})
		checkErr(t, err, ErrTooLarge)
	})
	t.Run("MARK flood", func(t *testing.T) {
		_, err := DecodeLimits([]byte(strings.Repeat("(", 100)), &Limits{MaxItems: 10})
		checkErr(t, err, ErrTooLarge)
	})
	t.Run("shared references cannot expand exponentially", func(t *testing.T) {
		// list_{i+1} = [list_i, list_i], 40 levels: 2^40 values once
		// expanded, from a pickle of about 300 bytes.
		var b strings.Builder
		b.WriteString("]K\x01a\x94")
		for i := range 40 {
			b.WriteString("](h" + string(rune(i)) + "h" + string(rune(i)) + "e\x94")
		}
		b.WriteString(".")
		_, err := Decode([]byte(b.String()))
		checkErr(t, err, ErrTooLarge)
	})
	t.Run("deep nesting", func(t *testing.T) {
		in := strings.Repeat("]", 1000) + strings.Repeat("a", 999) + "."
		_, err := Decode([]byte(in))
		checkErr(t, err, ErrTooLarge)
		if _, err := DecodeLimits([]byte(in), &Limits{MaxDepth: 2000}); err != nil {
			t.Errorf("with MaxDepth 2000: %v", err)
		}
	})
	t.Run("deep tuple key", func(t *testing.T) {
		in := "}N" + strings.Repeat("\x85", 1000) + "K\x01s."
		_, err := Decode([]byte(in))
		checkErr(t, err, ErrTooLarge)
	})
	t.Run("sparse memo index costs nothing", func(t *testing.T) {
		v, err := Decode([]byte("Nr\xff\xff\xff\xffr\xfe\xff\xff\xffj\xff\xff\xff\xff\x86."))
		if err != nil {
			t.Fatal(err)
		}
		if s := diff("v", v, Tuple{nil, nil}); s != "" {
			t.Error(s)
		}
	})
}

// Every proper prefix of a valid pickle must fail cleanly, never panic and
// never succeed by accident.
func TestTruncatedVectors(t *testing.T) {
	for name, pickles := range cpythonPickles {
		for proto, p := range pickles {
			for n := range len(p) - 1 {
				_, err := Decode([]byte(p[:n]))
				if err == nil {
					t.Fatalf("%s proto %d: prefix of %d/%d bytes decoded", name, proto, n, len(p))
				}
				if !wrapsSentinel(err) {
					t.Fatalf("%s proto %d prefix %d: error %v wraps no sentinel", name, proto, n, err)
				}
			}
		}
	}
}

func wrapsSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return strings.HasPrefix(err.Error(), "pickle: ")
		}
	}
	return false
}
