package logbus

// System is the installation that produced a record: its code is the
// first byte of the topic frame (see package topic).
type System byte

// The systems a topic may name.
const (
	Test       System = 'T'
	Staging    System = 'S'
	Production System = 'P'
)

// Systems lists every valid System, in a stable order.
var Systems = []System{Test, Staging, Production}

// Valid reports whether s is a known system.
func (s System) Valid() bool { return s == Test || s == Staging || s == Production }
