package activate

import (
	"context"
	"log/slog"
	"time"

	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// publishTimings logs, once the activation is ACTIVE, the time from its request to each of its
// steps (the first time each succeeded) and to ACTIVE, in CloudWatch embedded metric format: one
// JSON log line per value, whose "_aws" directive makes CloudWatch Logs turn it into a metric of
// registry.MetricsNamespace by stage, country and crisis type (and step). It needs no IAM
// permission and no call; in the local system's log, for people, each is one short DEBUG line
// (registry.ReadableMetrics). GET /metrics/activations computes the same times from the stored
// activations for people.
func (h *Handler) publishTimings(a domain.Activation, activeAt time.Time) {
	seen := map[string]bool{}
	for _, s := range a.Steps {
		if s.Status != "succeeded" || s.Name == "request" || seen[s.Name] || s.At.Before(a.CreatedAt) {
			continue
		}
		seen[s.Name] = true
		h.metric(registry.MetricTimeToStep, s.At.Sub(a.CreatedAt), activeAt, a, s.Name)
	}
	h.metric(registry.MetricTimeToActive, activeAt.Sub(a.CreatedAt), activeAt, a, "")
}

// metric logs one value in embedded metric format (registry.LogMetric); step is "" for a
// metric without the step dimension.
func (h *Handler) metric(name string, elapsed time.Duration, at time.Time, a domain.Activation, step string) {
	dimensions := []registry.Dimension{
		{Name: registry.MetricDimensionStage, Value: h.runtime.Stage},
		{Name: registry.MetricDimensionCountry, Value: a.Country},
		{Name: registry.MetricDimensionCrisisType, Value: string(a.CrisisType)},
	}
	if step != "" {
		dimensions = append(dimensions, registry.Dimension{Name: registry.MetricDimensionStep, Value: step})
	}
	registry.LogMetric(context.Background(), h.runtime.Logger, registry.Metric{Name: name, Unit: "Seconds", Value: elapsed.Seconds(),
		At: at, Dimensions: dimensions, Properties: []slog.Attr{slog.String("activationId", a.ID)}})
}
