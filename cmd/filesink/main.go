// Command filesink writes what a logbus broker archives into durable
// per-equipment files under --root (see package filesink).
//
// Configuration comes from flags, LOGBUS_* environment variables and a
// YAML file given with --config (configs/filesink.yaml documents every
// key). Bad configuration exits with status 2. SIGINT or SIGTERM writes,
// fsyncs and closes everything and exits 0; SIGHUP reopens every file
// (for logrotate).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/logbus/logbus/cmd/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.RunFilesink(ctx, "filesink", os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}
