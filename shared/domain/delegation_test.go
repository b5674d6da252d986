package domain_test

import (
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/shared/domain"
)

func TestDelegationStatusAndRevoke(t *testing.T) {
	start := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	until := start.Add(14 * 24 * time.Hour)
	d := domain.Delegation{ID: "dlg-1", FromUser: "security-1", ToUser: "security-2", Role: domain.RoleSecurity, Start: start, Until: until}

	for _, tc := range []struct {
		name string
		at   time.Time
		want domain.DelegationStatus
	}{
		{"before its start", start.Add(-time.Second), domain.DelegationScheduled},
		{"at its start", start, domain.DelegationActive},
		{"within", start.Add(time.Hour), domain.DelegationActive},
		{"at its end", until, domain.DelegationEnded},
		{"after", until.Add(time.Hour), domain.DelegationEnded},
	} {
		if got := d.StatusAt(tc.at); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}

	for _, tc := range []struct {
		name      string
		at        time.Time
		wantUntil time.Time
	}{
		{"in force: it ends now", start.Add(time.Hour), start.Add(time.Hour)},
		{"not started: it ends before it begins", start.Add(-time.Hour), start},
		{"at its start", start, start},
	} {
		revoked, err := d.Revoke(tc.at, "admin-1")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !revoked.Until.Equal(tc.wantUntil) || revoked.RevokedAt == nil || !revoked.RevokedAt.Equal(tc.at) || revoked.RevokedBy != "admin-1" {
			t.Errorf("%s: %+v", tc.name, revoked)
		}
		if revoked.ActiveAt(tc.at) || revoked.ActiveAt(tc.at.Add(time.Minute)) || revoked.ActiveAt(start.Add(2*time.Hour)) {
			t.Errorf("%s: still in force after the revocation", tc.name)
		}
		if revoked.StatusAt(tc.at) != domain.DelegationRevoked || revoked.StatusAt(until.Add(time.Hour)) != domain.DelegationRevoked {
			t.Errorf("%s: status %s", tc.name, revoked.StatusAt(tc.at))
		}
		if d.RevokedAt != nil || !d.Until.Equal(until) {
			t.Fatalf("%s: Revoke changed its receiver", tc.name)
		}
		// A second revocation is a conflict, and changes nothing.
		again, err := revoked.Revoke(tc.at.Add(time.Minute), "security-1")
		if domain.CodeOf(err) != domain.CodeConflict || again.RevokedBy != "admin-1" {
			t.Errorf("%s: second revocation: %v %+v", tc.name, err, again)
		}
	}

	// A delegation whose period is over cannot be revoked.
	for _, at := range []time.Time{until, until.Add(time.Hour)} {
		if ended, err := d.Revoke(at, "admin-1"); domain.CodeOf(err) != domain.CodeConflict || ended.RevokedAt != nil {
			t.Errorf("revoked at %s after its end: %v %+v", at, err, ended)
		}
	}
}
