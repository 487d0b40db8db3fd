//go:build unix

package cli

import (
	"os"
	"os/signal"
	"syscall"
)

// OnReopen calls fn on every SIGHUP (logrotate's postrotate) until the
// returned stop is called.
func OnReopen(fn func()) (stop func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-c:
				fn()
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(c)
		close(done)
	}
}
