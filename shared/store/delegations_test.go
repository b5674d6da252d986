package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

func TestDelegationsListedFilteredAndPaged(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	now := clk.Now()
	made := map[string]domain.Delegation{}
	for _, d := range []domain.Delegation{
		{FromUser: "security-1", ToUser: "security-2", Role: domain.RoleSecurity, Start: now, Until: now.Add(48 * time.Hour)},
		{FromUser: "security-2", ToUser: "security-1", Role: domain.RoleSecurity, Start: now.Add(72 * time.Hour), Until: now.Add(96 * time.Hour)},
		{FromUser: "finance-1", ToUser: "finance-2", Role: domain.RoleFinance, Start: now.Add(-48 * time.Hour), Until: now.Add(-24 * time.Hour)},
		{FromUser: "hr-1", ToUser: "hr-2", Role: domain.RoleHR, Start: now, Until: now.Add(time.Hour)},
	} {
		clk.Advance(time.Second) // ids sort by creation, a second apart
		stored, err := st.CreateDelegation(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if stored.ID == "" || !stored.CreatedAt.Equal(clk.Now()) {
			t.Fatalf("stored %+v", stored)
		}
		made[d.FromUser] = stored
	}
	at := clk.Now()
	ids := func(page store.Page[domain.Delegation]) []string {
		out := []string{}
		for _, d := range page.Items {
			out = append(out, d.FromUser)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		query store.DelegationQuery
		want  []string
	}{
		{"all, newest first", store.DelegationQuery{}, []string{"hr-1", "finance-1", "security-2", "security-1"}},
		{"given or received", store.DelegationQuery{Party: "security-1"}, []string{"security-2", "security-1"}},
		{"by delegator", store.DelegationQuery{Delegator: "finance-1"}, []string{"finance-1"}},
		{"by delegate", store.DelegationQuery{Delegate: "security-2"}, []string{"security-1"}},
		{"by role", store.DelegationQuery{Role: domain.RoleSecurity}, []string{"security-2", "security-1"}},
		{"in force now", store.DelegationQuery{ActiveAt: at}, []string{"hr-1", "security-1"}},
		{"party and in force", store.DelegationQuery{Party: "security-1", ActiveAt: at}, []string{"security-1"}},
		{"nobody's", store.DelegationQuery{Party: "auditor-1"}, []string{}},
	} {
		page, err := st.ListDelegations(ctx, tc.query)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := ids(page); !slices.Equal(got, tc.want) || page.Next != "" {
			t.Errorf("%s: %v (next %q), want %v", tc.name, got, page.Next, tc.want)
		}
	}

	// Pages of one: every delegation once, in order, and the cursor of an "active" listing
	// still works a moment later.
	var seen []string
	cursor := ""
	for range 10 {
		page, err := st.ListDelegations(ctx, store.DelegationQuery{Limit: 1, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, ids(page)...)
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if !slices.Equal(seen, []string{"hr-1", "finance-1", "security-2", "security-1"}) {
		t.Fatalf("paged: %v", seen)
	}
	first, err := st.ListDelegations(ctx, store.DelegationQuery{ActiveAt: at, Limit: 1})
	if err != nil || first.Next == "" {
		t.Fatalf("active page: %+v %v", first, err)
	}
	second, err := st.ListDelegations(ctx, store.DelegationQuery{ActiveAt: at.Add(time.Second), Limit: 1, Cursor: first.Next})
	if err != nil || !slices.Equal(ids(second), []string{"security-1"}) {
		t.Fatalf("second active page: %v %v", ids(second), err)
	}
	// A cursor of another listing is refused by its field.
	if _, err := st.ListDelegations(ctx, store.DelegationQuery{Party: "x", Cursor: first.Next}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Fatalf("foreign cursor: %v", err)
	}

	got, err := st.GetDelegation(ctx, made["hr-1"].ID)
	if err != nil || got.ToUser != "hr-2" || !got.Until.Equal(made["hr-1"].Until) {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := st.GetDelegation(ctx, "dlg-none"); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("get a missing one: %v", err)
	}
	if _, err := st.CreateDelegation(ctx, domain.Delegation{ID: made["hr-1"].ID, FromUser: "hr-1", ToUser: "hr-3", Role: domain.RoleHR,
		Start: now, Until: now.Add(time.Hour)}); !errors.As(err, new(*store.AlreadyExists)) {
		t.Fatalf("a taken id: %v", err)
	}
}

// TestRevokingADelegationOnceUnderRace: ten goroutines revoke the same delegation at once;
// exactly one succeeds, the others get a conflict, and both stored items say who ended it and
// when, so that the delegate no longer decides the delegator's tasks.
func TestRevokingADelegationOnceUnderRace(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	now := clk.Now()
	d, err := st.CreateDelegation(ctx, domain.Delegation{FromUser: "senior-1", ToUser: "senior-2", Role: domain.RoleSeniorManagement,
		Start: now, Until: now.Add(72 * time.Hour), CreatedBy: "senior-1"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	succeeded, conflicts := 0, 0
	var revoked domain.Delegation
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			by := "senior-1"
			if i%2 == 1 {
				by = "admin-1"
			}
			before, after, err := st.RevokeDelegation(ctx, d.ID, by)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				succeeded++
				revoked = after
				if before.RevokedAt != nil || !before.Until.Equal(d.Until) {
					t.Errorf("before: %+v", before)
				}
			case domain.CodeOf(err) == domain.CodeConflict:
				conflicts++
			default:
				t.Errorf("revoke: %v", err)
			}
		}()
	}
	wg.Wait()
	if succeeded != 1 || conflicts != 9 {
		t.Fatalf("%d revocations succeeded, %d conflicts", succeeded, conflicts)
	}
	if revoked.RevokedAt == nil || !revoked.RevokedAt.Equal(clk.Now()) || !revoked.Until.Equal(clk.Now()) {
		t.Fatalf("revoked: %+v", revoked)
	}
	stored, err := st.GetDelegation(ctx, d.ID)
	if err != nil || stored.RevokedBy != revoked.RevokedBy || !stored.Until.Equal(clk.Now()) {
		t.Fatalf("stored: %+v %v", stored, err)
	}
	from, err := st.DelegationsFrom(ctx, "senior-1")
	if err != nil || len(from) != 1 || from[0].RevokedAt == nil || from[0].ActiveAt(clk.Now()) {
		t.Fatalf("under the delegator: %+v %v", from, err)
	}
	if page, err := st.ListDelegations(ctx, store.DelegationQuery{ActiveAt: clk.Now()}); err != nil || len(page.Items) != 0 {
		t.Fatalf("still listed in force: %+v %v", page.Items, err)
	}
	if _, _, err := st.RevokeDelegation(ctx, "dlg-none", "admin-1"); domain.CodeOf(err) != domain.CodeNotFound {
		t.Fatalf("revoke a missing one: %v", err)
	}

	// A delegation whose period is over cannot be revoked, and stays as it was.
	ended, err := st.CreateDelegation(ctx, domain.Delegation{FromUser: "hr-1", ToUser: "hr-2", Role: domain.RoleHR,
		Start: clk.Now(), Until: clk.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour)
	if _, _, err := st.RevokeDelegation(ctx, ended.ID, "hr-1"); domain.CodeOf(err) != domain.CodeConflict {
		t.Fatalf("revoke an ended one: %v", err)
	}
	if stored, _ := st.GetDelegation(ctx, ended.ID); stored.RevokedAt != nil || !stored.Until.Equal(ended.Until) {
		t.Fatalf("an ended one changed: %+v", stored)
	}
}
