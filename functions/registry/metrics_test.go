package registry_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/internal/step"
	"github.com/fasttrack/fasttrack/functions/registry"
)

// cloudWatchUnits are the units the embedded metric format accepts (CloudWatch's
// StandardUnit values).
var cloudWatchUnits = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
	"Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
	"Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
	"Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"}

// checkEMF checks one log line against the embedded metric format specification: one JSON
// object; its "_aws" member holds exactly a millisecond Timestamp and CloudWatchMetrics, an
// array of metric directives, each with a namespace, dimension sets of at most 30 names and
// at most 100 metric definitions of a name and a CloudWatch unit; every dimension names a
// string member of the root, and every metric a number member.
func checkEMF(line []byte, at time.Time) error {
	var root map[string]json.RawMessage
	if err := json.Unmarshal(line, &root); err != nil {
		return fmt.Errorf("not one JSON object: %v", err)
	}
	var metadata map[string]json.RawMessage
	if err := json.Unmarshal(root["_aws"], &metadata); err != nil {
		return fmt.Errorf("_aws is not an object: %s", root["_aws"])
	}
	for key := range metadata {
		if key != "Timestamp" && key != "CloudWatchMetrics" {
			return fmt.Errorf("_aws has the member %q the specification does not define", key)
		}
	}
	var timestamp int64
	if err := json.Unmarshal(metadata["Timestamp"], &timestamp); err != nil || timestamp != at.UnixMilli() {
		return fmt.Errorf("timestamp %s, want %d", metadata["Timestamp"], at.UnixMilli())
	}
	var directives []struct {
		Namespace  string     `json:"Namespace"`
		Dimensions [][]string `json:"Dimensions"`
		Metrics    []struct {
			Name string `json:"Name"`
			Unit string `json:"Unit"`
		} `json:"Metrics"`
	}
	if err := json.Unmarshal(metadata["CloudWatchMetrics"], &directives); err != nil || len(directives) == 0 {
		return fmt.Errorf("CloudWatchMetrics %s: %v", metadata["CloudWatchMetrics"], err)
	}
	for _, d := range directives {
		if d.Namespace == "" || len(d.Metrics) == 0 || len(d.Metrics) > 100 {
			return fmt.Errorf("directive %+v", d)
		}
		for _, set := range d.Dimensions {
			if len(set) > 30 {
				return fmt.Errorf("%d dimensions in one set", len(set))
			}
			for _, name := range set {
				var value string
				if err := json.Unmarshal(root[name], &value); err != nil || value == "" {
					return fmt.Errorf("dimension %s is %s, not a string member of the root", name, root[name])
				}
			}
		}
		for _, m := range d.Metrics {
			var value float64
			if err := json.Unmarshal(root[m.Name], &value); err != nil {
				return fmt.Errorf("metric %s is %s, not a number member of the root", m.Name, root[m.Name])
			}
			if m.Unit != "" && !slices.Contains(cloudWatchUnits, m.Unit) {
				return fmt.Errorf("metric %s has the unit %q", m.Name, m.Unit)
			}
		}
	}
	return nil
}

// lines splits a log into its lines.
func lines(log *bytes.Buffer) [][]byte {
	var out [][]byte
	scanner := bufio.NewScanner(bytes.NewReader(log.Bytes()))
	for scanner.Scan() {
		out = append(out, slices.Clone(scanner.Bytes()))
	}
	return out
}

var at = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

func timeToStep() registry.Metric {
	return registry.Metric{Name: registry.MetricTimeToStep, Unit: "Seconds", Value: 1.25, At: at,
		Dimensions: []registry.Dimension{{Name: registry.MetricDimensionStage, Value: "dev"}, {Name: registry.MetricDimensionCountry, Value: "KE"},
			{Name: registry.MetricDimensionCrisisType, Value: "natural_disaster"}, {Name: registry.MetricDimensionStep, Value: "clearance"}},
		Properties: []slog.Attr{slog.String("activationId", "act-1")}}
}

// What Lambda's logger writes (JSON on standard output, the Env's default) is valid embedded
// metric format, an INFO record, with the value, every dimension and the properties as members.
func TestMetricsOnLambdaAreEmbeddedMetricFormat(t *testing.T) {
	var log bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&log, nil))
	registry.LogMetric(t.Context(), logger, timeToStep())
	step.Runtime{Logger: logger, Stage: "dev", Now: func() time.Time { return at }}.Metric(registry.MetricApprovalTasksPastDeadline, 1)

	got := lines(&log)
	if len(got) != 2 {
		t.Fatalf("%d lines:\n%s", len(got), log.String())
	}
	for _, line := range got {
		if err := checkEMF(line, at); err != nil {
			t.Fatalf("%v in %s", err, line)
		}
	}
	var timing struct {
		Level        string  `json:"level"`
		TimeToStep   float64 `json:"TimeToStep"`
		Stage        string  `json:"Stage"`
		Country      string  `json:"Country"`
		CrisisType   string  `json:"CrisisType"`
		Step         string  `json:"Step"`
		ActivationID string  `json:"activationId"`
		AWS          struct {
			CloudWatchMetrics []struct {
				Namespace  string     `json:"Namespace"`
				Dimensions [][]string `json:"Dimensions"`
				Metrics    []struct{ Name, Unit string }
			} `json:"CloudWatchMetrics"`
		} `json:"_aws"`
	}
	if err := json.Unmarshal(got[0], &timing); err != nil {
		t.Fatal(err)
	}
	directive := timing.AWS.CloudWatchMetrics[0]
	if timing.Level != "INFO" || timing.TimeToStep != 1.25 || timing.Stage != "dev" || timing.Country != "KE" || timing.CrisisType != "natural_disaster" ||
		timing.Step != "clearance" || timing.ActivationID != "act-1" || directive.Namespace != registry.MetricsNamespace ||
		!slices.Equal(directive.Dimensions[0], []string{"Stage", "Country", "CrisisType", "Step"}) ||
		directive.Metrics[0].Name != "TimeToStep" || directive.Metrics[0].Unit != "Seconds" {
		t.Fatalf("the timing record %s", got[0])
	}
	var count struct {
		Level                     string  `json:"level"`
		ApprovalTasksPastDeadline float64 `json:"ApprovalTasksPastDeadline"`
		Stage                     string  `json:"Stage"`
	}
	if err := json.Unmarshal(got[1], &count); err != nil || count.Level != "INFO" || count.ApprovalTasksPastDeadline != 1 || count.Stage != "dev" ||
		!strings.Contains(string(got[1]), `"Dimensions":[["Stage"]]`) || !strings.Contains(string(got[1]), `"Unit":"Count"`) {
		t.Fatalf("the count record %s: %v", got[1], err)
	}
}

// The Env's own logger is Lambda's when no Logger is given: JSON, with the metrics as they are.
func TestTheEnvLogsJSONOnLambda(t *testing.T) {
	if _, ok := (registry.Env{}).Log().Handler().(*slog.JSONHandler); !ok {
		t.Fatalf("the Env's default handler is %T, not JSON", (registry.Env{}).Log().Handler())
	}
}

// A log for people (the local system's text log, given to the functions as Env.Logger) writes
// a metric as one short DEBUG line with its value and dimensions: nothing at INFO, where the
// useful lines are, and no embedded-metric-format directive at DEBUG. Other records pass as
// they are.
func TestMetricsInALogForPeopleAreShortDebugLines(t *testing.T) {
	for _, c := range []struct {
		level slog.Level
		want  []string
	}{
		{slog.LevelInfo, []string{`level=INFO msg="step done" function=activate step=clearance`}},
		{slog.LevelDebug, []string{
			`level=INFO msg="step done" function=activate step=clearance`,
			`level=DEBUG msg="metric TimeToStep=1.25s" function=activate Stage=dev Country=KE CrisisType=natural_disaster Step=clearance activationId=act-1`,
			`level=DEBUG msg="metric ApprovalTasksPastDeadline=1" function=activate Stage=dev`,
		}},
	} {
		t.Run(c.level.String(), func(t *testing.T) {
			var log bytes.Buffer
			text := slog.NewTextHandler(&log, &slog.HandlerOptions{Level: c.level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			}})
			logger := registry.Env{Logger: slog.New(text)}.Log().With("function", "activate")
			logger.Info("step done", "step", "clearance")
			registry.LogMetric(t.Context(), logger, timeToStep())
			step.Runtime{Logger: logger, Stage: "dev", Now: func() time.Time { return at }}.Metric(registry.MetricApprovalTasksPastDeadline, 1)
			var got []string
			for _, line := range lines(&log) {
				got = append(got, string(line))
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("the log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}
