package publisher

import (
	"context"

	"github.com/logbus/logbus/codec"
)

// Run is the context of one run of a lab program: the equipment it drives
// and the project, kind and id of the run. A program sets it once per run
// with WithRun and every record logged with that context carries it.
type Run struct {
	Equipment string
	Project   string
	Kind      string
	ID        string
}

type runKey struct{}

// WithRun returns a context carrying run. Fields left empty keep the value
// of an enclosing run, so a sub-task can name its own equipment only.
func WithRun(ctx context.Context, run Run) context.Context {
	if outer, ok := RunFrom(ctx); ok {
		if run.Equipment == "" {
			run.Equipment = outer.Equipment
		}
		if run.Project == "" {
			run.Project = outer.Project
		}
		if run.Kind == "" {
			run.Kind = outer.Kind
		}
		if run.ID == "" {
			run.ID = outer.ID
		}
	}
	return context.WithValue(ctx, runKey{}, &run)
}

// RunFrom returns the run carried by ctx.
func RunFrom(ctx context.Context) (Run, bool) {
	if ctx == nil {
		return Run{}, false
	}
	r, ok := ctx.Value(runKey{}).(*Run)
	if !ok {
		return Run{}, false
	}
	return *r, true
}

// applyRun stores ctx's run in env without overriding what the record's
// own attributes set.
func applyRun(ctx context.Context, env *codec.Envelope) {
	if ctx == nil {
		return
	}
	r, ok := ctx.Value(runKey{}).(*Run)
	if !ok {
		return
	}
	if env.Equipment == "" {
		env.Equipment = r.Equipment
	}
	if env.Run.Project == "" {
		env.Run.Project = r.Project
	}
	if env.Run.Kind == "" {
		env.Run.Kind = r.Kind
	}
	if env.Run.ID == "" {
		env.Run.ID = r.ID
	}
}
