package publisher

import (
	"context"
	"testing"

	"github.com/logbus/logbus"
)

// TestRunContext: equipment and run nest in either order; an inner
// context's non-empty fields win, empty ones keep the outer values; a
// record's own attributes win over both.
func TestRunContext(t *testing.T) {
	bg := context.Background()
	if _, ok := EquipmentFrom(bg); ok {
		t.Error("background names equipment")
	}
	if _, ok := RunFrom(bg); ok {
		t.Error("background carries a run")
	}
	outer := WithRun(WithEquipment(bg, "scope-3"), logbus.Run{Project: "p-19", Kind: "cal", ID: "r-1"})
	inner := WithEquipment(WithRun(outer, logbus.Run{ID: "r-2"}), "")
	if eq, ok := EquipmentFrom(inner); !ok || eq != "scope-3" {
		t.Errorf("inner equipment %q %v", eq, ok)
	}
	if run, ok := RunFrom(inner); !ok || run != (logbus.Run{Project: "p-19", Kind: "cal", ID: "r-2"}) {
		t.Errorf("inner run %+v %v", run, ok)
	}
	if run, _ := RunFrom(outer); run.ID != "r-1" {
		t.Errorf("the outer run changed: %+v", run)
	}
	other := WithEquipment(outer, "cryo-1")
	if eq, _ := EquipmentFrom(other); eq != "cryo-1" {
		t.Errorf("inner equipment did not win: %q", eq)
	}
	if _, ok := RunFrom(WithEquipment(bg, "scope-3")); ok {
		t.Error("equipment alone reported as a run")
	}

	env := logbus.Envelope{Run: logbus.Run{Kind: "own"}}
	applyRun(inner, &env)
	if env.Equipment != "scope-3" || env.Run != (logbus.Run{Project: "p-19", Kind: "own", ID: "r-2"}) {
		t.Errorf("applied %+v", env)
	}
}
