package activate_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/activate"
	"github.com/fasttrack/fasttrack/functions/funds"
	"github.com/fasttrack/fasttrack/functions/internal/steptest"
	"github.com/fasttrack/fasttrack/functions/registry"
	"github.com/fasttrack/fasttrack/functions/roster"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// logBuffer collects log lines from concurrent writers.
type logBuffer struct {
	mu   sync.Mutex
	data bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.data.Write(p)
}

// emfLine is a log line in CloudWatch embedded metric format, as CloudWatch Logs reads it.
type emfLine struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
	Values map[string]any `json:"-"`
}

// metricLines returns the embedded-metric-format lines of the log, each with its raw fields.
func metricLines(t *testing.T, log *logBuffer) []emfLine {
	t.Helper()
	log.mu.Lock()
	defer log.mu.Unlock()
	var lines []emfLine
	scanner := bufio.NewScanner(bytes.NewReader(log.data.Bytes()))
	for scanner.Scan() {
		var raw map[string]any
		if err := json.Unmarshal(scanner.Bytes(), &raw); err != nil {
			t.Fatalf("log line %q is not JSON: %v", scanner.Text(), err)
		}
		if _, ok := raw["_aws"]; !ok {
			continue
		}
		var line emfLine
		if err := json.Unmarshal(scanner.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		line.Values = raw
		lines = append(lines, line)
	}
	return lines
}

// TestActivatePublishesTheTimeToEachStepAndToActive reads the log lines of an activation that
// goes ACTIVE: one embedded-metric-format line per step with the seconds since the request, and
// one for ACTIVE, in the project's namespace, by stage, country and crisis type; a second call
// of the step publishes nothing again.
func TestActivatePublishesTheTimeToEachStepAndToActive(t *testing.T) {
	f := steptest.New(t)
	log := &logBuffer{}
	runtime := f.Runtime(activate.Name)
	runtime.Logger = slog.New(slog.NewJSONHandler(log, nil))
	handler := activate.NewHandler(runtime, f.Store, f.Store, nil).Handle
	a := f.Activation(t, f.Request(), domain.StatusInProgress)
	zero := 0
	f.Clock.Advance(10 * time.Second)
	steptest.Invoke(t, funds.NewHandler(f.Runtime(funds.Name), f.Store, f.Store).Handle, funds.Input{Action: "reserve", ActivationID: a.ID}).MustSucceed(t, nil)
	f.Clock.Advance(20 * time.Second)
	steptest.Invoke(t, roster.NewHandler(f.Runtime(roster.Name), f.Store, f.Store).Handle,
		roster.Input{Action: "book", ActivationID: a.ID, Profile: roster.Profile{Index: &zero}}).MustSucceed(t, nil)
	f.Clock.Advance(15 * time.Second)
	steptest.Invoke(t, handler, activate.Input{ActivationID: a.ID}).MustSucceed(t, nil)

	lines := metricLines(t, log)
	got := map[string]float64{}
	for _, line := range lines {
		if len(line.AWS.CloudWatchMetrics) != 1 || len(line.AWS.CloudWatchMetrics[0].Metrics) != 1 || line.AWS.Timestamp == 0 {
			t.Fatalf("directive %+v", line.AWS)
		}
		directive := line.AWS.CloudWatchMetrics[0]
		metric := directive.Metrics[0]
		if directive.Namespace != registry.MetricsNamespace || metric.Unit != "Seconds" {
			t.Fatalf("namespace %q unit %q", directive.Namespace, metric.Unit)
		}
		want := []string{registry.MetricDimensionStage, registry.MetricDimensionCountry, registry.MetricDimensionCrisisType}
		key := metric.Name
		if metric.Name == registry.MetricTimeToStep {
			want = append(want, registry.MetricDimensionStep)
			key += "/" + line.Values[registry.MetricDimensionStep].(string)
		}
		if len(directive.Dimensions) != 1 || len(directive.Dimensions[0]) != len(want) {
			t.Fatalf("dimensions %v, want %v", directive.Dimensions, want)
		}
		for i, name := range want {
			if directive.Dimensions[0][i] != name || line.Values[name] == nil || line.Values[name] == "" {
				t.Fatalf("dimension %s missing in %v", name, line.Values)
			}
		}
		if line.Values[registry.MetricDimensionCountry] != "KE" || line.Values[registry.MetricDimensionCrisisType] != "natural_disaster" ||
			line.Values[registry.MetricDimensionStage] != "test" {
			t.Fatalf("dimension values %v", line.Values)
		}
		value, ok := line.Values[metric.Name].(float64)
		if !ok {
			t.Fatalf("no value for %s in %v", metric.Name, line.Values)
		}
		got[key] = value
	}
	want := map[string]float64{"TimeToStep/reserve": 10, "TimeToStep/roster": 30, "TimeToStep/activate": 45, "TimeToActive": 45}
	if len(got) != len(want) {
		t.Fatalf("metrics %v, want %v", got, want)
	}
	for key, value := range want {
		if got[key] != value {
			t.Errorf("%s = %v, want %v", key, got[key], value)
		}
	}

	steptest.Invoke(t, handler, activate.Input{ActivationID: a.ID}).MustSucceed(t, nil)
	if again := metricLines(t, log); len(again) != len(lines) {
		t.Fatalf("a second call published %d more metric lines", len(again)-len(lines))
	}
}
