package zmtp

// Msg is one ZeroMQ message: one or more frames. Send copies the frames;
// a Msg returned by Recv is owned by the caller.
type Msg [][]byte

// Size returns the total length of the frames' bodies.
func (m Msg) Size() int {
	n := 0
	for _, f := range m {
		n += len(f)
	}
	return n
}

// Clone returns a deep copy of m whose frames share one allocation.
func (m Msg) Clone() Msg {
	if m == nil {
		return nil
	}
	buf := make([]byte, m.Size())
	out := make(Msg, len(m))
	off := 0
	for i, f := range m {
		out[i] = buf[off : off+len(f) : off+len(f)]
		copy(out[i], f)
		off += len(f)
	}
	return out
}
