package workflows_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

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
					case e == "States.Timeout" && c.Next != "Compensate":
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
