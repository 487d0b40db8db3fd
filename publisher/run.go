package publisher

import (
	"context"

	"github.com/logbus/logbus"
)

// runContext is what a context carries for records: the equipment and
// the run. One context value holds both, so a record costs one lookup.
type runContext struct {
	equipment string
	run       logbus.Run
}

type runKey struct{}

func runContextFrom(ctx context.Context) (*runContext, bool) {
	if ctx == nil {
		return nil, false
	}
	rc, ok := ctx.Value(runKey{}).(*runContext)
	return rc, ok
}

// WithEquipment returns a context whose records name equipment (the
// instrument a program drives; it routes records to their topic suffix
// and file). An empty name keeps the enclosing one. A record's own
// "equipment" or "equipment_id" attribute wins over it.
func WithEquipment(ctx context.Context, equipment string) context.Context {
	rc := runContext{}
	if outer, ok := runContextFrom(ctx); ok {
		rc = *outer
	}
	if equipment != "" {
		rc.equipment = equipment
	}
	return context.WithValue(ctx, runKey{}, &rc)
}

// WithRun returns a context whose records carry run, the context of one
// run of a lab program (project, kind, id). Fields left empty keep the
// value of an enclosing run, so a sub-task can name its own run id only.
// A record's own project_short_id, run_kind or run_id attribute wins
// over it.
func WithRun(ctx context.Context, run logbus.Run) context.Context {
	rc := runContext{}
	if outer, ok := runContextFrom(ctx); ok {
		rc = *outer
	}
	if run.Project != "" {
		rc.run.Project = run.Project
	}
	if run.Kind != "" {
		rc.run.Kind = run.Kind
	}
	if run.ID != "" {
		rc.run.ID = run.ID
	}
	return context.WithValue(ctx, runKey{}, &rc)
}

// EquipmentFrom returns the equipment ctx names ("" and false: none).
func EquipmentFrom(ctx context.Context) (string, bool) {
	rc, ok := runContextFrom(ctx)
	if !ok || rc.equipment == "" {
		return "", false
	}
	return rc.equipment, true
}

// RunFrom returns the run ctx carries (false: none).
func RunFrom(ctx context.Context) (logbus.Run, bool) {
	rc, ok := runContextFrom(ctx)
	if !ok || rc.run == (logbus.Run{}) {
		return logbus.Run{}, false
	}
	return rc.run, true
}

// applyRun stores ctx's equipment and run in env without overriding what
// the record's own attributes set.
func applyRun(ctx context.Context, env *logbus.Envelope) {
	rc, ok := runContextFrom(ctx)
	if !ok {
		return
	}
	if env.Equipment == "" {
		env.Equipment = rc.equipment
	}
	if env.Run.Project == "" {
		env.Run.Project = rc.run.Project
	}
	if env.Run.Kind == "" {
		env.Run.Kind = rc.run.Kind
	}
	if env.Run.ID == "" {
		env.Run.ID = rc.run.ID
	}
}
