package roster_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/internal/steptest"
	"github.com/fasttrack/fasttrack/functions/roster"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
)

func index(i int) *int { return &i }

func TestBookOnceAndRecordTheDeployment(t *testing.T) {
	f := steptest.New(t)
	handler := roster.NewHandler(f.Runtime(roster.Name), f.Store, f.Store).Handle
	a := f.Activation(t, f.Request(), domain.StatusInProgress)
	input := roster.Input{Action: roster.ActionBook, ActivationID: a.ID, Profile: roster.Profile{Index: index(0)}}
	var first, second roster.Output
	steptest.Invoke(t, handler, input).MustSucceed(t, &first)
	steptest.Invoke(t, handler, input).MustSucceed(t, &second)
	if first.ExpertID == "" || first != second || first.From != a.Profiles[0].StartDate || first.ProfileIndex != 0 {
		t.Fatalf("first %+v second %+v", first, second)
	}
	stored := f.Get(t, a.ID)
	if len(stored.Deployments) != 1 || stored.Deployments[0].ExpertID != first.ExpertID {
		t.Fatalf("deployments = %+v", stored.Deployments)
	}
	bookings, _ := f.Store.BookingsOfActivation(f.Ctx, a.ID)
	if len(bookings) != 1 || bookings[0].Status != domain.BookingActive {
		t.Fatalf("bookings = %+v", bookings)
	}
	if n := f.Actions(t, a.ID)[audit.ActionExpertBooked]; n != 1 {
		t.Fatalf("%d booking events, want 1", n)
	}
}

func TestNobodyMatches(t *testing.T) {
	f := steptest.New(t)
	handler := roster.NewHandler(f.Runtime(roster.Name), f.Store, f.Store).Handle
	req := f.Request()
	req.Profiles[0].Languages = []string{"ja"}
	a := f.Activation(t, req, domain.StatusInProgress)
	steptest.Invoke(t, handler, roster.Input{Action: roster.ActionBook, ActivationID: a.ID, Profile: roster.Profile{Index: index(0)}}).
		MustFail(t, "NoExpertAvailable")
	steptest.Invoke(t, handler, roster.Input{Action: roster.ActionBook, ActivationID: a.ID, Profile: roster.Profile{Index: index(3)}}).
		MustFail(t, "Error")
}

func TestNobodyIsDeployedWithoutClearance(t *testing.T) {
	f := steptest.New(t)
	handler := roster.NewHandler(f.Runtime(roster.Name), f.Store, f.Store).Handle
	for _, station := range []struct{ country, name string }{{"HT", "Port-au-Prince"}, {"YE", "Sana'a"}} {
		req := f.Request()
		req.Country, req.DutyStation = station.country, station.name
		a := f.Activation(t, req, domain.StatusInProgress)
		steptest.Invoke(t, handler, roster.Input{Action: roster.ActionBook, ActivationID: a.ID, Profile: roster.Profile{Index: index(0)}}).
			MustFail(t, "SecurityClearanceDenied")
		if bookings, _ := f.Store.BookingsOfActivation(f.Ctx, a.ID); len(bookings) != 0 {
			t.Fatalf("%s: booked without clearance", station.name)
		}
	}
}

func TestAnOverrideWithAJustificationClearsLevelSix(t *testing.T) {
	f := steptest.New(t)
	handler := roster.NewHandler(f.Runtime(roster.Name), f.Store, f.Store).Handle
	for _, c := range []struct {
		comment string
		want    string
	}{{"ok", "SecurityClearanceDenied"}, {"Critical livelihoods assessment; escorted movement agreed with UNDSS.", ""}} {
		req := f.Request()
		req.Country, req.DutyStation = "YE", "Sana'a"
		req.Profiles[0].Area, req.Profiles[0].Languages = "social_protection", []string{"en"}
		a := f.Activation(t, req, domain.StatusInProgress)
		task := domain.ApprovalTask{ID: a.ID + ".override", ActivationID: a.ID, Role: domain.RoleSeniorManagement,
			Kind: domain.KindSecurityOverride, Deadline: f.Clock.Now().Add(time.Hour)}
		if _, err := f.Store.CreateTask(f.Ctx, task, "token"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.Store.Decide(f.Ctx, task.ID, domain.Decision{Outcome: domain.Approve, ActorID: "senior-1",
			Role: domain.RoleSeniorManagement, Comment: c.comment}); err != nil {
			t.Fatal(err)
		}
		input := roster.Input{Action: roster.ActionBook, ActivationID: a.ID, Profile: roster.Profile{Index: index(0)},
			Execution: "arn:aws:states:eu-west-1:123456789012:execution:fasttrack:" + a.ID, State: "BookExpert"}
		result := steptest.Invoke(t, handler, input)
		if c.want != "" {
			result.MustFail(t, c.want)
			continue
		}
		result.MustSucceed(t, nil)
		stored := f.Get(t, a.ID)
		if stored.Clearance.Decision != domain.ClearedByOverride || stored.Clearance.Override.ActorID != "senior-1" {
			t.Fatalf("clearance = %+v", stored.Clearance)
		}
		// The override is the clearance step's event, by the person who overrode, though the
		// roster's gate applied it; the roster's own booking stays the roster's.
		var overrides, bookings []audit.Event
		for _, e := range f.Audit(t, a.ID) {
			switch {
			case e.Action == audit.ActionStepCompleted && e.Subject == "clearance":
				overrides = append(overrides, e)
			case e.Action == audit.ActionExpertBooked:
				bookings = append(bookings, e)
			}
		}
		if len(overrides) != 1 {
			t.Fatalf("%d override events, want 1", len(overrides))
		}
		e := overrides[0]
		var after struct {
			Step          string                  `json:"step"`
			Clearance     domain.ClearanceOutcome `json:"clearance"`
			Task          string                  `json:"task"`
			OverriddenBy  string                  `json:"overriddenBy"`
			Justification string                  `json:"justification"`
			AppliedIn     string                  `json:"appliedIn"`
		}
		if err := json.Unmarshal(e.After, &after); err != nil {
			t.Fatal(err)
		}
		if e.Actor != "senior-1" || e.Role != string(domain.RoleSeniorManagement) || e.WorkflowEvent != input.Execution+"#SecurityClearance" {
			t.Fatalf("override recorded as actor %q role %q workflow event %q", e.Actor, e.Role, e.WorkflowEvent)
		}
		if after.Step != "clearance" || after.Clearance.Decision != domain.ClearedByOverride || after.Task != task.ID ||
			after.OverriddenBy != "senior-1" || after.Justification != c.comment || after.AppliedIn != "BookExpert" {
			t.Fatalf("override's after-image %s", e.After)
		}
		if len(bookings) != 1 || bookings[0].Role != roster.Name || bookings[0].Actor != "system" || bookings[0].WorkflowEvent != input.Execution+"#BookExpert" {
			t.Fatalf("booking events %+v", bookings)
		}
		// A second call finds the override recorded and records nothing again.
		steptest.Invoke(t, handler, input).MustSucceed(t, nil)
		if n := f.Actions(t, a.ID)[audit.ActionStepCompleted]; n != 2 {
			t.Fatalf("%d step.completed events after a second call, want 2 (the override and the booking)", n)
		}
	}
}
