package tests

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// lockedLog is a log that the system's goroutines write to while the test reads it.
type lockedLog struct {
	mu   sync.Mutex
	data bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.data.Write(p)
}

func (l *lockedLog) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Split(strings.TrimSpace(l.data.String()), "\n")
}

// The local system's log is for people: an activation that goes ACTIVE writes no metric line
// at INFO (the terminal of `make run`), and at DEBUG one short line per metric value, with its
// dimensions and without the embedded-metric-format directive CloudWatch reads on AWS.
func TestTheLocalLogKeepsMetricsShort(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		t.Run(level.String(), func(t *testing.T) {
			log := &lockedLog{}
			h := startLogging(t, slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: level})))
			a := h.create("office-ke", h.request("KE", "Nairobi", 1_000_000))
			h.waitStatus("office-ke", a.ID, domain.StatusActive)
			// The activate step logs the metrics before it returns: once the workflow has
			// succeeded, every metric is in the log.
			h.eventually("the workflow to succeed", func() bool {
				status, body := h.as("auditor-1", http.MethodGet, "/activations/"+a.ID, nil)
				view := decode[api.ActivationView](t, body)
				return status == http.StatusOK && view.Workflow != nil && view.Workflow.Status == "SUCCEEDED"
			})
			all := log.lines()
			var metrics []string
			for _, line := range all {
				if strings.Contains(line, "_aws") || strings.Contains(line, "map[") {
					t.Fatalf("a metric's directive in the local log: %s", line)
				}
				if strings.Contains(line, "msg=\"metric ") {
					metrics = append(metrics, line)
				}
			}
			if level == slog.LevelInfo {
				if len(all) == 0 || len(metrics) != 0 {
					t.Fatalf("%d lines, metric lines at INFO:\n%s", len(all), strings.Join(metrics, "\n"))
				}
				return
			}
			t.Logf("the metric lines at DEBUG:\n%s", strings.Join(metrics, "\n"))
			for _, line := range metrics {
				if !strings.Contains(line, "level=DEBUG") || !strings.Contains(line, "Country=KE") || !strings.Contains(line, "activationId="+a.ID) {
					t.Fatalf("a metric line for people: %s", line)
				}
			}
			if joined := strings.Join(metrics, "\n"); !strings.Contains(joined, "metric TimeToStep=") || !strings.Contains(joined, "Step=clearance") ||
				!strings.Contains(joined, "metric TimeToActive=") {
				t.Fatalf("the metric lines:\n%s", joined)
			}
		})
	}
}
