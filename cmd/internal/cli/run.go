package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/logbus/logbus/filesink"
	"github.com/logbus/logbus/zmtp"
)

// Logger returns a text logger at the named level.
func Logger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, Configf("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// IsConfigError reports whether err comes from bad configuration: our own
// checks or an endpoint the transport cannot parse.
func IsConfigError(err error) bool {
	return errors.Is(err, ErrConfig) || errors.Is(err, zmtp.ErrEndpoint) ||
		errors.Is(err, filesink.ErrTemplate) || errors.Is(err, filesink.ErrFormat)
}

// Join logs err (a failure while stopping) and folds it into code.
func Join(code int, err error, log *slog.Logger) int {
	if err == nil {
		return code
	}
	log.Error("while stopping", "err", err)
	if code == ExitOK {
		return ExitFailure
	}
	return code
}

// Web is a running HTTP server (or none, when disabled).
type Web struct {
	srv  *http.Server
	ln   net.Listener
	done chan error
}

// StartHTTP serves h on addr; "" or "-" disables it (a nil *Web).
func StartHTTP(addr string, h http.Handler, log *slog.Logger) (*Web, error) {
	if addr == "" || addr == "-" {
		return nil, nil
	}
	if strings.Contains(addr, "://") {
		return nil, Configf("--http %q: want host:port", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		// The operator chose the address: binding it is configuration.
		return nil, fmt.Errorf("%w: --http %s: %w", ErrConfig, addr, err)
	}
	w := &Web{
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)},
		ln:   ln,
		done: make(chan error, 1),
	}
	go func() { w.done <- w.srv.Serve(ln) }()
	return w, nil
}

// Addr is the bound address, or "disabled".
func (w *Web) Addr() string {
	if w == nil {
		return "disabled"
	}
	return "http://" + w.ln.Addr().String()
}

// Close stops the server, letting requests in flight finish briefly.
func (w *Web) Close() error {
	if w == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := w.srv.Shutdown(ctx)
	if serr := <-w.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
