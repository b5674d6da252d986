package tests

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/workflows/engine"
)

// BenchmarkAutoClearedActivation measures the automated path end to end: from POST /activations
// to the activation read back ACTIVE through the API (assess, clearance and reservation side by
// side, release, booking, insurance check, activation), on DynamoDB Local with the engine in
// memory. Each iteration asks for another area and day, so that the roster never runs out.
func BenchmarkAutoClearedActivation(b *testing.B) {
	h := start(b)
	token := h.token("office-ke")
	areas := domain.Areas
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := h.request("KE", "Nairobi", 10_000, domain.Profile{Area: areas[i%len(areas)], Languages: []string{"en"},
			StartDate: h.day(1 + (i/len(areas))%300), Days: 1})
		status, body := h.call(http.MethodPost, "/activations", token, req, nil)
		if status != http.StatusCreated {
			b.Fatalf("POST: %d %s", status, body)
		}
		a := decode[domain.Activation](b, body)
		arn := h.sys.StateMachineARN[:len(h.sys.StateMachineARN)-len("stateMachine:fasttrack")] + "execution:fasttrack:" + a.ID
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		execution, err := h.sys.Engine.WaitExecution(ctx, arn)
		cancel()
		if err != nil || execution.Status != engine.StatusSucceeded {
			b.Fatalf("execution %+v: %v", execution, err)
		}
		status, body = h.call(http.MethodGet, "/activations/"+a.ID, token, nil, nil)
		if got := decode[domain.Activation](b, body); status != http.StatusOK || got.Status != domain.StatusActive {
			b.Fatalf("activation %s is %s (%q)", a.ID, got.Status, got.Reason)
		}
	}
}
