package codec

import "encoding/binary"

// Eight-byte masks for plainPrefix.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainPrefix returns how many leading bytes of s are printable ASCII
// (0x20 to 0x7e), which text output copies unchanged. Messages are
// mostly such bytes, so they are checked eight at a time: a word holds a
// byte below 0x20 when subtracting 0x20 from each byte borrows into its
// high bit, and a byte above 0x7e when adding 1 sets its high bit or the
// bit was already set. A word that trips either test is finished byte by
// byte.
func plainPrefix(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		if ((w-0x20*ones)&^w|(w+ones)|w)&highs != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return i
		}
	}
	return i
}
