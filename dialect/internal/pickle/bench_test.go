package pickle

import "testing"

// BenchmarkDecodeRecord decodes a distlog LogRecord pickle (protocol 2).
func BenchmarkDecodeRecord(b *testing.B) {
	for _, tc := range []struct{ name, vec string }{
		{"plain", "c01_info_args"},
		{"datetime", "c09_datetime_extra"},
	} {
		data := vectorPayload(b, "distlog_pickle", tc.vec)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
