package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// newTaskShowCommand is `tasks show`: everything an approver needs to decide one task, and
// what deciding it does.
func newTaskShowCommand(options *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "show TASK_ID",
		Short: "One task of your inbox: the request behind it, what it asks, and how to decide it",
		Long: "Show the task TASK_ID of your inbox: the request it decides on (duty station, amount, purpose,\n" +
			"justification), who it is assigned to, its deadline, its decision if it has one, what the workflow\n" +
			"asks (the expert without cover, the profile nobody on the roster can take), and what to do.",
		Args: namedArgs("TASK_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := options.client(true)
			if err != nil {
				return err
			}
			task, data, err := findTask(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			if options.json {
				return printJSON(cmd.OutOrStdout(), data)
			}
			return printTask(cmd.OutOrStdout(), task)
		},
	}
}

// findTask reads one task (GET /tasks/{id}); it returns the task and its JSON as the API gave
// it. A task the caller's roles do not read is 404, as one that does not exist: the error says
// where the caller's tasks are listed.
func findTask(ctx context.Context, c *client, id string) (api.TaskView, []byte, error) {
	var task api.TaskView
	data, err := c.getJSON(ctx, http.MethodGet, "/tasks/"+url.PathEscape(id), nil, &task)
	var p *problemError
	if errors.As(err, &p) && p.Status == http.StatusNotFound {
		p.hint = fmt.Sprintf("no task %s among the tasks of your roles (`fasttrack tasks` lists them)", id)
	}
	if err != nil {
		return api.TaskView{}, nil, err
	}
	return task, data, nil
}

// printTask writes a task as a list of its facts, then what to do with it.
func printTask(out io.Writer, t api.TaskView) error {
	s := t.Summary
	w := table(out)
	row := func(label, value string) {
		if value != "" {
			fmt.Fprintf(w, "%s\t%s\n", label, value)
		}
	}
	status := string(t.Status)
	if t.Status == domain.TaskOpen {
		status += ", " + timeLeft(t.TimeLeftSeconds) + " left"
		if t.TimeLeftSeconds < 0 {
			status = string(t.Status) + ", " + timeLeft(t.TimeLeftSeconds)
		}
	}
	row("Task", t.ID)
	row("Status", status)
	row("Role, kind", fmt.Sprintf("%s, %s", t.Role, t.Kind))
	row("Activation", fmt.Sprintf("%s (office %s, requested by %s, priority %d)", t.ActivationID, t.Office, t.RequestedBy, t.Priority))
	station := fmt.Sprintf("%s, %s", s.DutyStation, s.Country)
	if s.SecurityLevel != 0 {
		station += fmt.Sprintf(" (security level %d)", s.SecurityLevel)
	}
	row("Duty station", station)
	row("Crisis", joinNonEmpty(", ", string(s.CrisisType), string(s.Phase)))
	row("Amount", amountText(s.Amount))
	if s.PeopleTotal > 0 {
		row("People affected", strconv.FormatInt(s.PeopleTotal, 10))
	}
	row("Purpose", s.Purpose)
	row("Justification", s.Justification)
	for _, line := range taskAsks(s.Detail) {
		row("Asks", line)
	}
	row("Expert", taskExpert(s.Detail))
	row("Assigned to", t.Assignee)
	row("Deadline", fmt.Sprintf("%s (escalation level %d)", when(t.Deadline), t.EscalationLevel))
	row("Escalates", t.PreviousTaskID)
	row("Escalated to", t.EscalatedTo)
	if d := t.Decision; d != nil {
		decision := joinNonEmpty(" ", d.Outcome.PastTense(), "by "+d.ActorID, prefixed("on behalf of ", d.OnBehalfOf), "at "+when(d.At))
		if d.Comment != "" {
			decision += fmt.Sprintf(": %q", d.Comment)
		}
		row("Decision", decision)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if t.Status == domain.TaskOpen {
		fmt.Fprintf(out, "\nTo decide: %s\n", taskAdvice(t))
	}
	return nil
}

// taskAsks reads what the workflow found that made the task: the message of each error it
// caught (the profile nobody can take, the cover an expert lacks).
func taskAsks(detail map[string]any) []string {
	var lines []string
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range detail {
			if !yield(k) {
				return
			}
		}
	})
	for _, key := range keys {
		value, _ := detail[key].(map[string]any)
		if cause := text(value, "Cause"); cause != "" {
			var failure struct {
				ErrorMessage string `json:"errorMessage"`
			}
			if json.Unmarshal([]byte(cause), &failure) == nil && failure.ErrorMessage != "" {
				cause = failure.ErrorMessage
			}
			lines = append(lines, clip(cause))
		}
	}
	return lines
}

// taskExpert reads the expert a task is about, with their booking, if it is about one.
func taskExpert(detail map[string]any) string {
	booking, ok := detail["booking"].(map[string]any)
	if !ok {
		return ""
	}
	expert := text(booking, "expertId")
	if name := text(booking, "expertName"); name != "" {
		expert += " (" + name + ")"
	}
	return clip(joinNonEmpty(" ", expert, prefixed("booked ", text(booking, "from")), prefixed("to ", text(booking, "to"))))
}

// taskAdvice says what deciding an open task does, by its kind.
func taskAdvice(t api.TaskView) string {
	decide := "fasttrack decide " + t.ID
	switch t.Kind {
	case domain.KindSecurityClearance:
		return fmt.Sprintf("`%s approve --comment ...` clears the deployment to this duty station; `reject --comment WHY` ends the request.", decide)
	case domain.KindSecurityOverride:
		return fmt.Sprintf("the duty station is at the highest security level: `%s approve --comment JUSTIFICATION` overrides the denial "+
			"with a written justification; `reject --comment WHY` ends the request.", decide)
	case domain.KindFundRelease, domain.KindSeniorFundRelease:
		return fmt.Sprintf("`%s approve` releases %s from the rapid action fund; `reject --comment WHY` returns it and ends the request.",
			decide, amountText(t.Summary.Amount))
	case domain.KindExpertSourcing:
		return "find a consultant for the profile and add them to the roster (`fasttrack experts set EXPERT_ID --create " +
			"--file expert.json`, and their insurance with `fasttrack experts policy`), then `" + decide + " approve` books again " +
			"from the roster (an approval while nobody on the roster can take the profile is refused, says why the closest experts " +
			"do not fit, and changes nothing); `reject --comment WHY` ends the request."
	case domain.KindInsuranceEnrolment:
		expert := "EXPERT_ID"
		if booking, ok := t.Summary.Detail["booking"].(map[string]any); ok && text(booking, "expertId") != "" {
			expert = text(booking, "expertId")
		}
		return "enrol the expert for the cover they lack and record the policy (`fasttrack experts policy " + expert +
			" POLICY_ID --kind KIND --valid-from DATE --valid-to DATE`), then `" + decide + " approve` checks the cover again " +
			"(an approval while cover is missing is refused and changes nothing); `reject --comment WHY` ends the request."
	}
	return fmt.Sprintf("`%s approve` or `reject --comment WHY`.", decide)
}
