package cli

import (
	"net/http"
	"net/http/pprof"
)

// WithProfiler adds Go's profiler under /debug/pprof/ to h when on is
// set. It is opt-in because a profile exposes internals and costs CPU
// while it runs; an operator turns it on to find where time goes under
// their own load.
func WithProfiler(h http.Handler, on bool) http.Handler {
	if !on {
		return h
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/", h)
	return mux
}
