package zmtp

// Subscribers returns how many connected peers of a PUB or XPUB socket
// have at least one subscription: those a message can reach. A broker
// uses it to tell "nobody listens yet" from "everybody got it".
func (s *Socket) Subscribers() int {
	if s == nil {
		return 0
	}
	n := 0
	for _, p := range *s.peers.Load() {
		if sub := p.subs.Load(); sub != nil && (sub.all || sub.size() > 0) {
			n++
		}
	}
	return n
}
