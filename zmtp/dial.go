package zmtp

import (
	"context"
	"math/rand/v2"
	"time"
)

// dialLoop keeps one connection to a connect endpoint alive until Close,
// redialling with exponential backoff (with jitter, so many clients of a
// restarted server do not all come back in the same instant).
func (s *Socket) dialLoop(e endpoint) {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	defer func() {
		cancel()
		<-watchDone
	}()

	delay := s.cfg.ReconnectInterval
	logged := false
	for {
		dctx, dcancel := context.WithTimeout(ctx, s.cfg.HandshakeTimeout)
		conn, err := e.dial(dctx)
		dcancel()
		if err == nil {
			if s.serveConn(conn, e, nil) {
				delay = s.cfg.ReconnectInterval
				logged = false
			}
		} else if s.isStopped() {
			return
		} else if s.ctr.dialFailures.Add(1); !logged {
			// Logged once per outage, not on every retry.
			s.logConn("zmtp: dial failed, will retry", e, "", err)
			logged = true
		}
		if s.isDraining() {
			// Draining: no new connection; wait for Close.
			<-s.stop
			return
		}
		wait := delay/2 + rand.N(delay/2+1)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-s.stop:
			t.Stop()
			return
		}
		delay = min(delay*2, s.cfg.ReconnectIntervalMax)
	}
}
