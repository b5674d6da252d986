package registry

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Dimension is one dimension of a metric value: its name (MetricDimensionStage, ...) and value.
type Dimension struct {
	Name  string
	Value string
}

// Metric is one value of one of the project's custom metrics.
type Metric struct {
	// Name is the metric's name (MetricTimeToStep, ...).
	Name string
	// Unit is a CloudWatch unit: "Seconds", "Count".
	Unit  string
	Value float64
	// At is when the value was measured; CloudWatch files it at that time.
	At time.Time
	// Dimensions are the metric's dimensions, in order; each becomes a member of the record.
	Dimensions []Dimension
	// Properties are more members of the record that are no dimensions (an activation id): they
	// let a person find the line, and cost nothing in CloudWatch.
	Properties []slog.Attr
}

// emfKey is the member of a record in CloudWatch embedded metric format that tells CloudWatch
// Logs which of the record's members are a metric and its dimensions.
const emfKey = "_aws"

// emfDirective is the "_aws" member of an embedded-metric-format record, as the specification
// names its members: the timestamp in milliseconds and one metric directive.
type emfDirective struct {
	Timestamp         int64             `json:"Timestamp"`
	CloudWatchMetrics []metricDirective `json:"CloudWatchMetrics"`
	// unit is kept for the readable line (ReadableMetrics); it is not part of the JSON.
	unit string
}

type metricDirective struct {
	Namespace  string             `json:"Namespace"`
	Dimensions [][]string         `json:"Dimensions"`
	Metrics    []metricDefinition `json:"Metrics"`
}

type metricDefinition struct {
	Name string `json:"Name"`
	Unit string `json:"Unit,omitempty"`
}

// LogMetric logs one value of a metric as one INFO record in CloudWatch embedded metric format:
// the dimensions and the value are members of the record, and the "_aws" member says that the
// value is the metric m.Name of MetricsNamespace by those dimensions. On Lambda the record is a
// JSON line on standard output, which CloudWatch Logs turns into the metric: no call and no IAM
// permission. A logger for people (Env.Log with a Logger set, the local system's terminal)
// writes it as one short DEBUG line instead (ReadableMetrics).
func LogMetric(ctx context.Context, logger *slog.Logger, m Metric) {
	names := make([]string, len(m.Dimensions))
	attributes := make([]slog.Attr, 0, len(m.Dimensions)+len(m.Properties)+2)
	for i, d := range m.Dimensions {
		names[i] = d.Name
		attributes = append(attributes, slog.String(d.Name, d.Value))
	}
	directive := &emfDirective{Timestamp: m.At.UnixMilli(), unit: m.Unit, CloudWatchMetrics: []metricDirective{{
		Namespace: MetricsNamespace, Dimensions: [][]string{names},
		Metrics: []metricDefinition{{Name: m.Name, Unit: m.Unit}},
	}}}
	attributes = append(attributes, slog.Any(emfKey, directive))
	attributes = append(attributes, m.Properties...)
	attributes = append(attributes, slog.Float64(m.Name, m.Value))
	logger.LogAttrs(ctx, slog.LevelInfo, "metric "+m.Name, attributes...)
}

// ReadableMetrics wraps a handler that writes for people (text on a terminal): a metric record
// of LogMetric becomes one short DEBUG line, "metric TimeToStep=1.25s" with its dimensions and
// properties, without the embedded-metric-format directive; every other record passes as it
// is. At the usual INFO level the metrics are then silent, and `--log-level debug` shows them.
// What Lambda's JSON logger writes is untouched: this wrapper is for the local system only.
func ReadableMetrics(h slog.Handler) slog.Handler {
	if _, wrapped := h.(readableMetrics); wrapped {
		return h
	}
	return readableMetrics{next: h}
}

type readableMetrics struct{ next slog.Handler }

// Enabled is the wrapped handler's: a metric record arrives as INFO, and Handle drops it when
// DEBUG is not enabled.
func (h readableMetrics) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h readableMetrics) Handle(ctx context.Context, r slog.Record) error {
	var directive *emfDirective
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == emfKey {
			directive, _ = a.Value.Any().(*emfDirective)
		}
		return directive == nil
	})
	if directive == nil {
		return h.next.Handle(ctx, r)
	}
	if !h.next.Enabled(ctx, slog.LevelDebug) {
		return nil
	}
	name, unit := strings.TrimPrefix(r.Message, "metric "), directive.unit
	var value string
	readable := slog.NewRecord(r.Time, slog.LevelDebug, "", r.PC)
	r.Attrs(func(a slog.Attr) bool {
		switch {
		case a.Key == emfKey:
		case a.Key == name:
			value = readableValue(a.Value, unit)
		default:
			readable.AddAttrs(a)
		}
		return true
	})
	readable.Message = fmt.Sprintf("metric %s=%s", name, value)
	return h.next.Handle(ctx, readable)
}

func (h readableMetrics) WithAttrs(attrs []slog.Attr) slog.Handler {
	return readableMetrics{next: h.next.WithAttrs(attrs)}
}

func (h readableMetrics) WithGroup(name string) slog.Handler {
	return readableMetrics{next: h.next.WithGroup(name)}
}

// readableValue writes a metric's value for people: a duration for seconds, a number otherwise.
func readableValue(v slog.Value, unit string) string {
	if v.Kind() != slog.KindFloat64 {
		return v.String()
	}
	if unit == "Seconds" {
		return time.Duration(v.Float64() * float64(time.Second)).Round(time.Millisecond).String()
	}
	return strconv.FormatFloat(v.Float64(), 'f', -1, 64)
}
