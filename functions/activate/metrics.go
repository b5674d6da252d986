package activate

import (
	"log/slog"
	"time"

	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// publishTimings logs, once the activation is ACTIVE, the time from its request to each of its
// steps (the first time each succeeded) and to ACTIVE, in CloudWatch embedded metric format: one
// JSON log line per value, whose "_aws" directive makes CloudWatch Logs turn it into a metric of
// registry.MetricsNamespace by stage, country and crisis type (and step). It needs no IAM
// permission and no call; locally the lines are ordinary log lines. GET /metrics/activations
// computes the same times from the stored activations for people.
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

// metric logs one value in embedded metric format; step is "" for a metric without the step
// dimension.
func (h *Handler) metric(name string, elapsed time.Duration, at time.Time, a domain.Activation, step string) {
	dimensions := []string{registry.MetricDimensionStage, registry.MetricDimensionCountry, registry.MetricDimensionCrisisType}
	attributes := []any{
		slog.String(registry.MetricDimensionStage, h.runtime.Stage),
		slog.String(registry.MetricDimensionCountry, a.Country),
		slog.String(registry.MetricDimensionCrisisType, string(a.CrisisType)),
	}
	if step != "" {
		dimensions = append(dimensions, registry.MetricDimensionStep)
		attributes = append(attributes, slog.String(registry.MetricDimensionStep, step))
	}
	attributes = append(attributes,
		slog.Any("_aws", map[string]any{
			"Timestamp": at.UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  registry.MetricsNamespace,
				"Dimensions": [][]string{dimensions},
				"Metrics":    []any{map[string]any{"Name": name, "Unit": "Seconds"}},
			}},
		}),
		slog.String("activationId", a.ID),
		slog.Float64(name, elapsed.Seconds()))
	h.runtime.Logger.Info("metric "+name, attributes...)
}
