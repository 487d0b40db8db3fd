package publisher

import (
	"context"
	"log/slog"
	"time"

	"github.com/logbus/logbus"
)

// Sample publishes one performance sample under a sample topic (kind
// 'P'), so dashboards can subscribe to samples alone. The context's
// equipment and run (WithEquipment, WithRun) fill its envelope; attrs add
// detail (an "equipment" attribute overrides the context's). It never waits and reports false when the sample
// was dropped.
func (p *Publisher) Sample(ctx context.Context, name string, value float64, unit string, attrs ...slog.Attr) bool {
	s := logbus.Sample{Name: name, Value: value, Unit: unit}
	s.Time = time.Now()
	if len(attrs) > 0 {
		var r logbus.Record // borrow the record's attribute rules
		for _, a := range attrs {
			addSlogAttr(&r, a)
		}
		s.Attrs = r.Attrs
		s.Envelope.Equipment = r.Equipment
		s.Envelope.Run = r.Run
	}
	applyRun(ctx, &s.Envelope)
	return p.PublishSample(&s)
}
