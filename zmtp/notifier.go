package zmtp

import (
	"sync"
	"sync/atomic"
)

// notifier wakes every goroutine waiting for a state change. Waiters take
// the channel with acquire before re-checking their condition, so a
// broadcast between the check and the wait is never missed; broadcast
// costs one atomic load when nobody waits, which keeps it off the hot path.
type notifier struct {
	mu      sync.Mutex
	ch      chan struct{}
	waiters atomic.Int32
}

func (n *notifier) acquire() <-chan struct{} {
	n.waiters.Add(1)
	n.mu.Lock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	c := n.ch
	n.mu.Unlock()
	return c
}

func (n *notifier) release() { n.waiters.Add(-1) }

func (n *notifier) broadcast() {
	if n.waiters.Load() == 0 {
		return
	}
	n.mu.Lock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
	n.mu.Unlock()
}

// kick does a non-blocking send on a capacity-one channel.
func kick(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
