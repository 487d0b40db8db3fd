package cli

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestWithProfiler: the profiler is served only when asked for, and the
// wrapped handler keeps answering everything else.
func TestWithProfiler(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		if _, err := io.WriteString(w, "ok"); err != nil {
			t.Error(err)
		}
	})
	for _, on := range []bool{false, true} {
		srv := httptest.NewServer(WithProfiler(app, on))
		t.Cleanup(srv.Close)
		status := func(path string) int {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			if err := resp.Body.Close(); err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode
		}
		if got := status("/metrics"); got != http.StatusOK {
			t.Errorf("pprof %v: /metrics %d", on, got)
		}
		want := http.StatusNotFound
		if on {
			want = http.StatusOK
		}
		for _, p := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap"} {
			if got := status(p); got != want {
				t.Errorf("pprof %v: %s %d, want %d", on, p, got, want)
			}
		}
	}
}
