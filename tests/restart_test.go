package tests

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/internal/dynamolocal"
	"github.com/fasttrack/fasttrack/internal/localstack"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/workflows/engine/clock"
)

// TestASecondStartKeepsTheFirstsData stops the system while an activation waits for an
// approval and starts it again on the same data: the activation, its task and the waiting
// execution are all there, the approval given after the restart reaches the workflow through the
// token issued before it, and the activation goes ACTIVE.
func TestASecondStartKeepsTheFirstsData(t *testing.T) {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	dataDir := t.TempDir()
	fake := clock.NewFake(time.Now().UTC().Truncate(time.Millisecond))
	options := localstack.Options{DataDir: dataDir, DynamoDBEndpoint: dynamolocal.TestEndpoint(t), TablePrefix: "r" + hex.EncodeToString(b) + "-",
		Addr: "127.0.0.1:0", Clock: fake, NoSync: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	first, err := localstack.Start(context.Background(), options)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{tb: t, sys: first, clock: fake, client: &http.Client{Timeout: 30 * time.Second}}
	a := h.create("office-ht", h.request("HT", "Cap-Haïtien", 1_000_000, domain.Profile{Area: "skills_training",
		Languages: []string{"fr"}, StartDate: h.day(15), Days: 10}))
	task := h.waitTask("security-1", a.ID, domain.KindSecurityClearance)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second, err := localstack.Start(context.Background(), options)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Close() })
	h.sys = second
	// The open call may have been in flight at the stop: the engine issues it again.
	h.waitStatus("office-ht", a.ID, domain.StatusAwaitingApproval)
	h.mustDecide("security-1", task.ID, domain.Approve, "Cleared after the restart.")
	if got := h.waitStatus("office-ht", a.ID, domain.StatusActive, domain.StatusFailed); got.Status != domain.StatusActive {
		t.Fatalf("status %s reason %q", got.Status, got.Reason)
	}
}
