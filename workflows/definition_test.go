package workflows_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/fasttrack/fasttrack/functions/approvals"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/workflows"
)

// businessErrors are the errors the step functions return as named types for the workflow to
// catch: each is named by its Go type, as the Lambda runtime names it.
func businessErrors() []string {
	var names []string
	for _, err := range []error{&domain.NotEligible{}, &domain.SecurityClearanceDenied{}, &domain.InsufficientFunds{},
		&domain.FundLimitExceeded{}, &domain.NoExpertAvailable{}, &domain.InsuranceCoverMissing{}, &domain.ApprovalRejected{},
		&domain.ApprovalTimedOut{}, &domain.ActivationCancelled{}} {
		names = append(names, reflect.TypeOf(err).Elem().Name())
	}
	return names
}

// deadlinePassed is the error with which the approvals function ends a retried or redriven
// wait whose task is past its deadline: it is caught as the wait's timeout.
var deadlinePassed = reflect.TypeOf(&approvals.ApprovalDeadlinePassed{}).Elem().Name()

type state struct {
	Type  string `json:"Type"`
	Retry []struct {
		ErrorEquals []string `json:"ErrorEquals"`
	} `json:"Retry"`
	Catch []struct {
		ErrorEquals []string `json:"ErrorEquals"`
		Next        string   `json:"Next"`
	} `json:"Catch"`
	Branches      []machine `json:"Branches"`
	ItemProcessor *machine  `json:"ItemProcessor"`
}

type machine struct {
	States map[string]state `json:"States"`
}

// TestOnlyBusinessErrorsCompensate holds the definition to its rule: a Catch names business
// errors only (nothing else is caught, so that a transient failure stops the execution at its
// step for a redrive instead of compensating), every state that compensates catches the
// cancellation, and compensation retries everything and catches nothing.
func TestOnlyBusinessErrorsCompensate(t *testing.T) {
	var top machine
	if err := json.Unmarshal(workflows.FastTrack(), &top); err != nil {
		t.Fatal(err)
	}
	business := businessErrors()
	var walk func(path string, m machine)
	walk = func(path string, m machine) {
		for name, s := range m.States {
			for _, c := range s.Catch {
				for _, e := range c.ErrorEquals {
					switch {
					case e == "States.ALL" || e == "States.TaskFailed":
						t.Errorf("%s%s catches %s: a transient failure would compensate instead of stopping for a redrive", path, name, e)
					case (e == "States.Timeout" || e == deadlinePassed) && c.Next != "Compensate":
						// the escalation of an approval wait
					case !slices.Contains(business, e):
						t.Errorf("%s%s catches %s, which is not a business error", path, name, e)
					}
				}
				if c.Next == "Compensate" && !slices.Contains(c.ErrorEquals, "ActivationCancelled") {
					t.Errorf("%s%s compensates without catching ActivationCancelled", path, name)
				}
			}
			for i, b := range s.Branches {
				walk(path+name+"["+string(rune('0'+i))+"].", b)
			}
			if s.ItemProcessor != nil {
				walk(path+name+".", *s.ItemProcessor)
			}
		}
	}
	walk("", top)

	compensate := top.States["Compensate"]
	if len(compensate.Catch) != 0 || len(compensate.Retry) != 1 || !slices.Equal(compensate.Retry[0].ErrorEquals, []string{"States.ALL"}) {
		t.Fatalf("Compensate must retry everything and catch nothing: %+v", compensate)
	}
	// Every state on the path that does work reaches compensation for its business errors.
	for _, name := range []string{"Assess", "Checks", "Approvals", "ReleaseFunds", "Deploy", "Insurance", "Activate"} {
		s, ok := top.States[name]
		if !ok || len(s.Catch) != 1 || s.Catch[0].Next != "Compensate" {
			t.Errorf("%s does not compensate its business errors: %+v", name, s.Catch)
		}
	}
}

// TestEveryWaitEndsAtItsTaskDeadline: every state that waits for a person (a task token with a
// timeout) treats ApprovalDeadlinePassed (a retried or redriven wait whose task is already past
// its deadline) as its own timeout, in the same catcher, so that the task is escalated or
// expired at once instead of waiting a whole new period.
func TestEveryWaitEndsAtItsTaskDeadline(t *testing.T) {
	var top struct {
		States map[string]json.RawMessage `json:"States"`
	}
	if err := json.Unmarshal(workflows.FastTrack(), &top); err != nil {
		t.Fatal(err)
	}
	type waiting struct {
		Resource           string `json:"Resource"`
		TimeoutSecondsPath string `json:"TimeoutSecondsPath"`
		Catch              []struct {
			ErrorEquals []string `json:"ErrorEquals"`
			Next        string   `json:"Next"`
		} `json:"Catch"`
		ItemProcessor *struct {
			States map[string]json.RawMessage `json:"States"`
		} `json:"ItemProcessor"`
	}
	waits := 0
	var walk func(states map[string]json.RawMessage)
	walk = func(states map[string]json.RawMessage) {
		for name, raw := range states {
			var s waiting
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			if s.ItemProcessor != nil {
				walk(s.ItemProcessor.States)
			}
			if s.Resource != "arn:aws:states:::lambda:invoke.waitForTaskToken" {
				continue
			}
			waits++
			if s.TimeoutSecondsPath == "" {
				t.Errorf("%s waits with no timeout", name)
			}
			caught := false
			for _, c := range s.Catch {
				if slices.Contains(c.ErrorEquals, "States.Timeout") {
					caught = slices.Contains(c.ErrorEquals, deadlinePassed) && c.Next != "Compensate"
				}
			}
			if !caught {
				t.Errorf("%s does not treat %s as its timeout: %+v", name, deadlinePassed, s.Catch)
			}
		}
	}
	walk(top.States)
	if waits != 6 {
		t.Fatalf("%d waiting states, want 6 (approval, sourcing and enrolment, each with its escalation)", waits)
	}
}
