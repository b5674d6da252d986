package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

func newActivation(id, office string) domain.Activation {
	return domain.Activation{
		ID: id, Office: office, RequestedBy: "office-" + office,
		ActivationRequest: domain.ActivationRequest{
			Country: "HT", DutyStation: "Port-au-Prince", CrisisType: domain.NaturalDisaster, Phase: domain.Response,
			PeopleAffected: domain.PeopleAffected{Women: 10, Men: 20},
			Amount:         domain.USD(1_000_000), Purpose: "rubble removal",
			Profiles: []domain.Profile{{Area: domain.Gender, Languages: []string{"fr"}, StartDate: "2026-12-01", Days: 10}},
		},
	}
}

func TestActivationLifecycle(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	a, err := st.CreateActivation(ctx, newActivation("a-1", "HT"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != domain.StatusRequested || a.Version != 1 {
		t.Fatalf("created %+v", a)
	}
	var exists *store.AlreadyExists
	if _, err := st.CreateActivation(ctx, newActivation("a-1", "KE")); !errors.As(err, &exists) {
		t.Fatalf("second create: %v", err)
	}
	got, err := st.GetActivation(ctx, "a-1")
	if err != nil || got.Office != "HT" || got.Amount != domain.USD(1_000_000) || got.Profiles[0].StartDate != "2026-12-01" {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := st.GetActivation(ctx, "nope"); domain.CodeOf(err) != domain.CodeNotFound {
		t.Errorf("missing: %v", err)
	}

	clk.Advance(time.Minute)
	prio := 42
	next, err := st.Transition(ctx, store.Change{ID: "a-1", From: domain.StatusRequested, Version: 1, To: domain.StatusInProgress,
		Priority: &prio, Step: &domain.Step{Name: "assess", Status: "succeeded"}})
	if err != nil {
		t.Fatal(err)
	}
	if next.Status != domain.StatusInProgress || next.Version != 2 || next.Priority != 42 || len(next.Steps) != 1 ||
		!next.UpdatedAt.Equal(clk.Now()) {
		t.Fatalf("after transition %+v", next)
	}
	// A stale version is a typed conflict and changes nothing.
	_, err = st.Transition(ctx, store.Change{ID: "a-1", From: domain.StatusRequested, Version: 1, To: domain.StatusInProgress})
	var stale *domain.StaleVersion
	if !errors.As(err, &stale) || stale.Actual != 2 || stale.ActualStatus != "IN_PROGRESS" || domain.CodeOf(err) != domain.CodeConflict {
		t.Fatalf("stale: %v", err)
	}
	// An illegal transition is refused before any write.
	var illegal *domain.IllegalTransition
	if _, err := st.Transition(ctx, store.Change{ID: "a-1", From: domain.StatusInProgress, Version: 2, To: domain.StatusCancelled}); !errors.As(err, &illegal) {
		t.Fatalf("illegal: %v", err)
	}
	if _, err := st.Transition(ctx, store.Change{ID: "nope", From: domain.StatusRequested, Version: 1, To: domain.StatusInProgress}); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("missing: %v", err)
	}
	// Steps and deployments from parallel branches do not bump the version.
	if err := st.AppendStep(ctx, "a-1", domain.Step{Name: "clearance", Status: "waiting"}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := st.SetDeployment(ctx, "a-1", domain.Deployment{ProfileIndex: 1 - i, ExpertID: fmt.Sprint("e-", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetDeployment(ctx, "a-1", domain.Deployment{ProfileIndex: 0, ExpertID: "e-0"}); err != nil {
		t.Fatal(err)
	}
	got, _ = st.GetActivation(ctx, "a-1")
	if got.Version != 2 || len(got.Steps) != 2 || len(got.Deployments) != 2 || got.Deployments[0].ProfileIndex != 0 {
		t.Fatalf("steps/deployments %+v", got)
	}
	cancelled, err := st.RequestCancel(ctx, "a-1")
	if err != nil || !cancelled.CancelRequested {
		t.Fatalf("cancel: %+v %v", cancelled, err)
	}
	reason := "cancelled by the office"
	outcome := domain.StatusCancelled
	c, err := st.Transition(ctx, store.Change{ID: "a-1", From: domain.StatusInProgress, Version: 2, To: domain.StatusCompensating,
		Reason: &reason, Outcome: &outcome})
	if err != nil || c.Outcome != domain.StatusCancelled || c.Reason != reason {
		t.Fatalf("compensating: %+v %v", c, err)
	}
	if _, err := st.RequestCancel(ctx, "a-1"); domain.CodeOf(err) != domain.CodeConflict {
		t.Errorf("cancel while compensating: %v", err)
	}
}

// Fifty goroutines race to move one activation on from the same version: exactly one wins.
func TestConcurrentTransitionsHaveOneWinner(t *testing.T) {
	ctx := context.Background()
	st, _ := mustStore(t)
	if _, err := st.CreateActivation(ctx, newActivation("a-race", "HT")); err != nil {
		t.Fatal(err)
	}
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			_, err := st.Transition(ctx, store.Change{ID: "a-race", From: domain.StatusRequested, Version: 1, To: domain.StatusInProgress})
			var stale *domain.StaleVersion
			switch {
			case err == nil:
				wins.Add(1)
			case errors.As(err, &stale):
				conflicts.Add(1)
			default:
				t.Errorf("unexpected: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != 49 {
		t.Fatalf("wins %d conflicts %d", wins.Load(), conflicts.Load())
	}
	a, _ := st.GetActivation(ctx, "a-race")
	if a.Version != 2 {
		t.Errorf("version %d", a.Version)
	}
}

func TestListActivationsNewestFirstWithCursor(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	for i := range 7 {
		office := "HT"
		if i%2 == 1 {
			office = "KE"
		}
		clk.Advance(time.Second)
		if _, err := st.CreateActivation(ctx, newActivation(fmt.Sprintf("a-%d", i), office)); err != nil {
			t.Fatal(err)
		}
	}
	var all []string
	cursor := ""
	for pages := 0; ; pages++ {
		page, err := st.ListActivations(ctx, store.ActivationQuery{Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Items {
			all = append(all, a.ID)
		}
		if page.Next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		cursor = page.Next
	}
	if fmt.Sprint(all) != "[a-6 a-5 a-4 a-3 a-2 a-1 a-0]" {
		t.Errorf("all %v", all)
	}
	page, err := st.ListActivations(ctx, store.ActivationQuery{Office: "KE"})
	if err != nil || len(page.Items) != 3 || page.Items[0].ID != "a-5" || page.Next != "" {
		t.Errorf("KE %+v %v", page, err)
	}
	page, err = st.ListActivations(ctx, store.ActivationQuery{Status: domain.StatusRequested, Limit: 100})
	if err != nil || len(page.Items) != 7 {
		t.Errorf("by status %d %v", len(page.Items), err)
	}
	// A cursor of another listing, or garbage, is a clear invalid error.
	first, _ := st.ListActivations(ctx, store.ActivationQuery{Limit: 1})
	if _, err := st.ListActivations(ctx, store.ActivationQuery{Office: "KE", Cursor: first.Next}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("foreign cursor: %v", err)
	}
	if _, err := st.ListActivations(ctx, store.ActivationQuery{Cursor: "%%%"}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("garbage cursor: %v", err)
	}
}

// Concurrent retries of one POST with the same Idempotency-Key make exactly one activation.
func TestCreateActivationOnceUnderConcurrentRetries(t *testing.T) {
	ctx := context.Background()
	st, _ := mustStore(t)
	var created atomic.Int32
	ids := make(chan string, 30)
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			a := newActivation(fmt.Sprintf("candidate-%d", i), "HT")
			got, fresh, err := st.CreateActivationOnce(ctx, "key-1", "fingerprint-1", a)
			if err != nil {
				t.Errorf("create once: %v", err)
				return
			}
			if fresh {
				created.Add(1)
			}
			ids <- got.ID
		})
	}
	wg.Wait()
	close(ids)
	first := ""
	for id := range ids {
		if first == "" {
			first = id
		}
		if id != first {
			t.Errorf("two activations: %s and %s", first, id)
		}
	}
	if created.Load() != 1 {
		t.Errorf("%d requests reported a creation", created.Load())
	}
	page, _ := st.ListActivations(ctx, store.ActivationQuery{Office: "HT", Limit: 100})
	if len(page.Items) != 1 {
		t.Errorf("%d activations stored", len(page.Items))
	}
	// The same key with another body is refused; another office's key is independent.
	if _, _, err := st.CreateActivationOnce(ctx, "key-1", "fingerprint-2", newActivation("x", "HT")); domain.CodeOf(err) != domain.CodeUnprocessable {
		t.Errorf("reused key: %v", err)
	}
	other, fresh, err := st.CreateActivationOnce(ctx, "key-1", "fingerprint-1", newActivation("ke-1", "KE"))
	if err != nil || !fresh || other.ID != "ke-1" {
		t.Errorf("other office: %+v %v %v", other, fresh, err)
	}
	// The first answer is kept.
	if err := st.CompleteIdempotencyKey(ctx, "HT", "key-1", 201, []byte(`{"id":"`+first+`"}`)); err != nil {
		t.Fatal(err)
	}
	if err := st.CompleteIdempotencyKey(ctx, "HT", "key-1", 500, []byte(`late`)); err != nil {
		t.Fatal(err)
	}
	claim, err := st.GetIdempotencyKey(ctx, "HT", "key-1")
	if err != nil || claim.Status != 201 || claim.ActivationID != first {
		t.Errorf("claim %+v %v", claim, err)
	}
}

// A claim whose request died before creating the activation is completed by the retry.
func TestIdempotentRetryAfterACrashedFirstRequest(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	claim, err := st.ClaimIdempotencyKey(ctx, "HT", "k", "f", "first-id")
	if err != nil || !claim.Fresh {
		t.Fatal(err)
	}
	got, fresh, err := st.CreateActivationOnce(ctx, "k", "f", newActivation("second-id", "HT"))
	if err != nil || got.ID != "first-id" || !fresh {
		t.Fatalf("%+v %v %v", got, fresh, err)
	}
	// After the TTL the key is free again.
	clk.Advance(25 * time.Hour)
	again, err := st.ClaimIdempotencyKey(ctx, "HT", "k", "other", "third-id")
	if err != nil || !again.Fresh || again.ActivationID != "third-id" {
		t.Fatalf("after TTL %+v %v", again, err)
	}
}
