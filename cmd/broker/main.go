// Command broker runs the logbus broker: publishers connect to its ingest
// endpoint, dashboards to its fan-out, file sinks to its archive endpoint.
//
// Configuration comes from flags, LOGBUS_* environment variables (e.g.
// LOGBUS_INGEST, LOGBUS_FANOUT_QUEUE), and a YAML file given with
// --config (configs/broker.yaml documents every key), in that order of
// precedence. Bad configuration exits with status 2. SIGINT or SIGTERM
// stops it gracefully: publishers are drained, subscriber queues flushed.
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
	code := cli.RunBroker(ctx, "broker", os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}
