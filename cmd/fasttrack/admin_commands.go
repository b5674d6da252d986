package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// The commands of approvers going on leave (delegate, delegations) and of administrators
// (tasks reassign, activations redrive, metrics, experts). Like the other client commands they
// go through clientOptions.request or client.call, print a table (or the API's JSON with
// --json), and print the API's problem with its field errors when it refuses.

// parseWhen reads a flag's time: "now", a time in RFC 3339 (2026-11-01T08:00:00Z), or a date
// (2026-11-01), which means that day's midnight in the local time zone.
func parseWhen(flag, text string, now time.Time) (time.Time, error) {
	text = strings.TrimSpace(text)
	if text == "now" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339, text); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, text, time.Local); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--%s %q is not a date (2026-11-01), a time (2026-11-01T08:00:00Z) or now", flag, text)
}

// when formats a time for a table, in local time.
func when(t time.Time) string { return t.Local().Format("2006-01-02 15:04") }

// readBodyFile reads a request body from a file, or from standard input for "-", and checks
// that it is JSON before anything is sent: a mistake is named with its line and column.
func readBodyFile(cmd *cobra.Command, file string) ([]byte, error) {
	var data []byte
	var err error
	name := file
	if file == "-" {
		name = "standard input"
		data, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), api.MaxBodyBytes+1))
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the request: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s is empty: it should hold one JSON object", name)
	}
	var value any
	if err := json.Unmarshal(data, &value); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON: %s", name, jsonErrorAt(data, err))
	}
	if _, ok := value.(map[string]any); !ok {
		return nil, fmt.Errorf("%s is not a JSON object ({...})", name)
	}
	return data, nil
}

// jsonErrorAt says where in data a JSON syntax error is, as a line and column.
func jsonErrorAt(data []byte, err error) string {
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) {
		return err.Error()
	}
	offset := min(int(syntax.Offset), len(data))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	column := offset - bytes.LastIndexByte(before, '\n')
	if offset > 0 && column > 1 {
		column-- // the offset is just past the character that was wrong
	}
	return fmt.Sprintf("line %d, column %d: %s", line, column, syntax.Error())
}

func newDelegateCommand(options *clientOptions) *cobra.Command {
	var to, role, from, until, reason, delegator string
	cmd := &cobra.Command{
		Use:   "delegate --to USER --role ROLE [--from DATE] --until DATE [--reason TEXT]",
		Short: "Let another person of your role decide your tasks for a period (leave, field mission)",
		Long: "Delegate your tasks of one of your roles to another person of the same role, from --from (default now) until\n" +
			"--until. Dates are a day (2026-11-01, midnight local time), a time in RFC 3339, or now: --until 2026-12-15\n" +
			"ends the delegation as that day begins. Administrators may record a delegation for someone else with\n" +
			"--delegator. `fasttrack delegations` lists them, and `fasttrack delegations revoke DELEGATION_ID` ends one early.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
			start, err := parseWhen("from", from, now)
			if err != nil {
				return err
			}
			end, err := parseWhen("until", until, now)
			if err != nil {
				return err
			}
			body := api.DelegationRequest{FromUser: delegator, ToUser: to, Role: domain.Role(role), Start: start, Until: end, Reason: reason}
			var d api.DelegationView
			return options.request(cmd, http.MethodPost, "/delegations", body, &d, func() error {
				fmt.Fprintf(cmd.OutOrStdout(), "delegation %s: %s's %s tasks to %s from %s until %s (%s)\n",
					d.ID, d.FromUser, d.Role, d.ToUser, when(d.Start), when(d.Until), d.Status)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the person who decides your tasks meanwhile")
	cmd.Flags().StringVar(&role, "role", "", "the role delegated: security, finance, hr or senior-management")
	cmd.Flags().StringVar(&from, "from", "now", "when the delegation starts")
	cmd.Flags().StringVar(&until, "until", "", "when it ends")
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded in the audit trail)")
	cmd.Flags().StringVar(&delegator, "delegator", "", "whose tasks (administrators; default yourself)")
	for _, name := range []string{"to", "role", "until"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func newDelegationsCommand(options *clientOptions) *cobra.Command {
	var delegator, delegate, role string
	var active bool
	var pages paging
	list := func(cmd *cobra.Command, _ []string) error {
		query := pages.query(filters(map[string]string{"delegator": delegator, "delegate": delegate, "role": role}))
		if active {
			query.Set("active", "true")
		}
		var page api.DelegationList
		return options.request(cmd, http.MethodGet, "/delegations?"+query.Encode(), nil, &page, func() error {
			if len(page.Items) == 0 && page.Next == "" {
				fmt.Fprintln(cmd.OutOrStdout(), "no delegations")
				return nil
			}
			w := table(cmd.OutOrStdout())
			fmt.Fprintln(w, "ID\tSTATUS\tROLE\tFROM\tTO\tSTART\tUNTIL\tREASON")
			for _, d := range page.Items {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Status, d.Role, d.FromUser, d.ToUser, when(d.Start), when(d.Until), d.Reason)
			}
			return endPage(cmd, w, page.Next)
		})
	}
	cmd := &cobra.Command{
		Use:   "delegations [list|revoke DELEGATION_ID]",
		Short: "Delegations you gave and received (all of them for auditors and administrators); end one early",
		Args:  cobra.NoArgs,
		RunE:  list,
	}
	listCommand := &cobra.Command{Use: "list", Short: "List delegations, newest first", Args: cobra.NoArgs, RunE: list}
	for _, c := range []*cobra.Command{cmd, listCommand} {
		c.Flags().BoolVar(&active, "active", false, "only delegations in force now")
		c.Flags().StringVar(&delegator, "delegator", "", "only this delegator's (auditors, administrators)")
		c.Flags().StringVar(&delegate, "delegate", "", "only those to this delegate (auditors, administrators)")
		c.Flags().StringVar(&role, "role", "", "only this role")
		pages.register(c)
	}
	var reason string
	revoke := &cobra.Command{
		Use:   "revoke DELEGATION_ID",
		Short: "End a delegation now (its delegator or an administrator): the delegate no longer decides your tasks",
		Args:  namedArgs("DELEGATION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var d api.DelegationView
			path := "/delegations/" + url.PathEscape(args[0]) + "/revoke"
			return options.request(cmd, http.MethodPost, path, api.RevokeRequest{Reason: reason}, &d, func() error {
				fmt.Fprintf(cmd.OutOrStdout(), "delegation %s revoked by %s: %s no longer decides %s's %s tasks (ended %s)\n",
					d.ID, d.RevokedBy, d.ToUser, d.FromUser, d.Role, when(d.Until))
				return nil
			})
		},
	}
	revoke.Flags().StringVar(&reason, "reason", "", "why (recorded in the audit trail)")
	cmd.AddCommand(listCommand, revoke)
	return cmd
}

// newTaskReassignCommand is `tasks reassign`: an administrator gives an open task to one person.
func newTaskReassignCommand(options *clientOptions) *cobra.Command {
	var to, comment string
	cmd := &cobra.Command{
		Use:   "reassign TASK_ID --to USER --comment TEXT",
		Short: "Give an open task to one person, who (or their delegate) alone decides it (administrators)",
		Args:  namedArgs("TASK_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var task api.TaskView
			body := api.ReassignRequest{Assignee: to, Reason: comment}
			return options.request(cmd, http.MethodPost, "/tasks/"+url.PathEscape(args[0])+"/reassign", body, &task, func() error {
				fmt.Fprintf(cmd.OutOrStdout(), "task %s (%s, activation %s) assigned to %s; deadline %s\n",
					task.ID, task.Kind, task.ActivationID, task.Assignee, when(task.Deadline))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the person who decides the task")
	cmd.Flags().StringVar(&comment, "comment", "", "why (recorded in the audit trail)")
	_ = cmd.MarkFlagRequired("to")
	_ = cmd.MarkFlagRequired("comment")
	annotateField(cmd, "reason", "comment")
	return cmd
}

// newRedriveCommand is `activations redrive`: an administrator resumes a stopped workflow from
// the step where it stopped.
func newRedriveCommand(options *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "redrive ACTIVATION_ID",
		Short: "Resume an activation whose workflow stopped on a failure, from the step that failed (administrators)",
		Args:  namedArgs("ACTIVATION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var result api.RedriveResult
			return options.request(cmd, http.MethodPost, "/activations/"+url.PathEscape(args[0])+"/redrive", nil, &result, func() error {
				at := ""
				if t, err := time.Parse(time.RFC3339Nano, result.RedriveDate); err == nil {
					at = " at " + t.Local().Format("2006-01-02 15:04:05")
				}
				fmt.Fprintf(cmd.OutOrStdout(), "activation %s redriven%s: its workflow resumes from the step that stopped (status %s)\n",
					result.Activation.ID, at, result.Activation.Status)
				return nil
			})
		},
	}
}

func newMetricsCommand(options *clientOptions) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "metrics [--from TIME] [--to TIME]",
		Short: "Activation metrics: counts by status, time to each step, approvals within deadline, overdue tasks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			query := url.Values{}
			for _, bound := range []struct{ flag, text string }{{"from", from}, {"to", to}} {
				if bound.text == "" {
					continue
				}
				t, err := parseWhen(bound.flag, bound.text, time.Now())
				if err != nil {
					return err
				}
				query.Set(bound.flag, t.UTC().Format(time.RFC3339))
			}
			var m api.Metrics
			return options.request(cmd, http.MethodGet, "/metrics/activations?"+query.Encode(), nil, &m, func() error {
				return printMetrics(cmd.OutOrStdout(), m)
			})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "only activations created from this day or time")
	cmd.Flags().StringVar(&to, "to", "", "only activations created before this day or time")
	return cmd
}

// seconds formats a number of seconds as a duration rounded to the second.
func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Second).String()
}

// printMetrics writes the metrics as a summary and a table of the time to each step.
func printMetrics(out io.Writer, m api.Metrics) error {
	w := table(out)
	statuses := make([]string, 0, len(m.Activations.ByStatus))
	for status, count := range m.Activations.ByStatus {
		statuses = append(statuses, fmt.Sprintf("%s %d", status, count))
	}
	slices.Sort(statuses)
	fmt.Fprintf(w, "Activations\t%d\t%s\n", m.Activations.Total, strings.Join(statuses, ", "))
	share := "none decided yet"
	if m.Approvals.Share != nil {
		share = fmt.Sprintf("%.0f%%", *m.Approvals.Share*100)
	}
	fmt.Fprintf(w, "Approvals within deadline\t%d of %d\t%s\n", m.Approvals.WithinDeadline, m.Approvals.Decided, share)
	fmt.Fprintf(w, "Open tasks past deadline\t%d\t\n", m.OpenTasksPastDeadline)
	fmt.Fprintf(w, "Generated\t%s\t\n", m.GeneratedAt.Local().Format("2006-01-02 15:04:05"))
	if err := w.Flush(); err != nil {
		return err
	}
	if len(m.TimeToStep) == 0 {
		return nil
	}
	fmt.Fprintln(out)
	w = table(out)
	fmt.Fprintln(w, "TIME TO STEP\tCOUNTRY\tCRISIS\tCOUNT\tAVERAGE\tLONGEST")
	for _, t := range m.TimeToStep {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", t.Step, t.Country, t.CrisisType, t.Count, seconds(t.AverageSeconds), seconds(t.MaxSeconds))
	}
	return w.Flush()
}

func newExpertsCommand(options *clientOptions) *cobra.Command {
	var area, language string
	var pages paging
	list := func(cmd *cobra.Command, _ []string) error {
		query := pages.query(filters(map[string]string{"area": area, "language": language}))
		var page api.ExpertList
		return options.request(cmd, http.MethodGet, "/experts?"+query.Encode(), nil, &page, func() error {
			if len(page.Items) == 0 && page.Next == "" {
				fmt.Fprintln(cmd.OutOrStdout(), "no experts")
				return nil
			}
			w := table(cmd.OutOrStdout())
			fmt.Fprintln(w, "ID\tNAME\tEMPLOYMENT\tAREAS\tLANGUAGES\tTRAINING\tHOME\tBOOKINGS")
			for _, e := range page.Items {
				areas := make([]string, len(e.Areas))
				for i, a := range e.Areas {
					areas[i] = string(a)
				}
				training := "none"
				if e.Training.Level != "" {
					training = fmt.Sprintf("%s to %s", e.Training.Level, e.Training.Expires)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", e.ID, e.Name, e.Employment, strings.Join(areas, ","),
					strings.Join(e.Languages, ","), training, e.HomeOffice, e.ActiveBookings)
			}
			return endPage(cmd, w, page.Next)
		})
	}
	cmd := &cobra.Command{Use: "experts [list|show EXPERT_ID|set EXPERT_ID|policy EXPERT_ID POLICY_ID]", Short: "The roster of experts; add or change experts and their insurance (administrators)",
		Args: cobra.NoArgs, RunE: list}
	listCommand := &cobra.Command{Use: "list", Short: "List the experts", Args: cobra.NoArgs, RunE: list}
	for _, c := range []*cobra.Command{cmd, listCommand} {
		c.Flags().StringVar(&area, "area", "", "only experts of this technical area")
		c.Flags().StringVar(&language, "language", "", "only experts speaking this language (ISO 639-1)")
		pages.register(c)
	}
	cmd.AddCommand(listCommand, newExpertShowCommand(options), newExpertSetCommand(options), newExpertPolicyCommand(options))
	return cmd
}

// sendFile sends a request body as it is written, so that the API names the file's own
// mistakes, and returns the answer and its status.
func (o *clientOptions) sendFile(cmd *cobra.Command, method, path, file string, headers map[string]string) ([]byte, int, error) {
	data, err := readBodyFile(cmd, file)
	if err != nil {
		return nil, 0, err
	}
	c, err := o.client(true)
	if err != nil {
		return nil, 0, err
	}
	answer, _, status, err := c.call(cmd.Context(), method, path, jsonBody(data), headers)
	return answer, status, err
}

func newExpertSetCommand(options *clientOptions) *cobra.Command {
	var file, ifMatch string
	var create bool
	cmd := &cobra.Command{
		Use:   "set EXPERT_ID --file expert.json [--create | --if-match VERSION]",
		Short: "Add an expert or change their profile (administrators)",
		Long: "Add the expert ID, or change their profile, from a JSON file (- reads standard input) such as\n" +
			`  {"name":"A. Odhiambo","employment":"consultant","areas":["gender"],"languages":["en","sw"],` + "\n" +
			`   "training":{"level":"basic","expires":"2027-06-30"},"homeOffice":"KE"}` + "\n" +
			"Their bookings are kept. With --create the expert is only added: if the id is taken, nothing changes\n" +
			"and the command fails. With --if-match the expert is only changed if their version is still VERSION\n" +
			"(as `fasttrack experts show ID` prints it): a change made meanwhile is never overwritten.",
		Args: namedArgs("EXPERT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				return errors.New("--file expert.json is required (- reads standard input)")
			}
			headers := map[string]string{}
			switch {
			case create && cmd.Flags().Changed("if-match"):
				return errors.New("--create adds a new expert and --if-match changes an existing one: give one of them")
			case create:
				headers["If-None-Match"] = "*"
			case cmd.Flags().Changed("if-match"):
				version := strings.Trim(strings.TrimSpace(ifMatch), `"`)
				if _, err := strconv.Atoi(version); err != nil {
					return fmt.Errorf("--if-match %q is not a version (a number such as 3)", ifMatch)
				}
				headers["If-Match"] = strconv.Quote(version)
			}
			data, status, err := options.sendFile(cmd, http.MethodPut, "/experts/"+url.PathEscape(args[0]), file, headers)
			if err != nil || options.json {
				return orJSON(cmd, data, err)
			}
			var e domain.Expert
			if err := jsonUnmarshal(data, &e); err != nil {
				return err
			}
			verb := "changed"
			if status == http.StatusCreated {
				verb = "added"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "expert %s (%s, %s) %s, version %d\n", e.ID, e.Name, e.Employment, verb, e.Version)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the expert as JSON (- for standard input)")
	cmd.Flags().BoolVar(&create, "create", false, "only add a new expert; fail if the id is taken (If-None-Match: *)")
	cmd.Flags().StringVar(&ifMatch, "if-match", "", "only change the expert if their version is still this one (If-Match)")
	return cmd
}

func newExpertShowCommand(options *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "show EXPERT_ID",
		Short: "An expert: their profile, bookings and insurance policies",
		Long: "Show the expert ID: their profile and version, every booking (cancelled ones included) and every\n" +
			"insurance policy, with whether it covers today and the kinds of cover nothing covers today.",
		Args: namedArgs("EXPERT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var view api.ExpertView
			return options.request(cmd, http.MethodGet, "/experts/"+url.PathEscape(args[0]), nil, &view, func() error {
				return printExpert(cmd.OutOrStdout(), view)
			})
		},
	}
}

// printExpert prints an expert's profile, then their bookings and policies as tables.
func printExpert(out io.Writer, view api.ExpertView) error {
	e := view.Expert
	areas := make([]string, len(e.Areas))
	for i, a := range e.Areas {
		areas[i] = string(a)
	}
	training := "none"
	if e.Training.Level != "" {
		training = fmt.Sprintf("%s to %s", e.Training.Level, e.Training.Expires)
	}
	w := table(out)
	fmt.Fprintf(w, "Expert\t%s\n", e.ID)
	fmt.Fprintf(w, "Name\t%s\n", e.Name)
	fmt.Fprintf(w, "Employment\t%s\n", e.Employment)
	fmt.Fprintf(w, "Areas\t%s\n", strings.Join(areas, ", "))
	fmt.Fprintf(w, "Languages\t%s\n", strings.Join(e.Languages, ", "))
	fmt.Fprintf(w, "Training\t%s\n", training)
	fmt.Fprintf(w, "Home office\t%s\n", e.HomeOffice)
	for _, p := range e.Unavailable {
		fmt.Fprintf(w, "Unavailable\t%s to %s\n", p.Start, p.End)
	}
	fmt.Fprintf(w, "Version\t%d\n", e.Version)
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nBookings (%d active)\n", e.ActiveBookings)
	if len(view.Bookings) == 0 {
		fmt.Fprintln(out, "  none")
	} else {
		w = table(out)
		fmt.Fprintln(w, "BOOKING\tACTIVATION\tFROM\tTO\tSTATUS")
		for _, b := range view.Bookings {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", b.ID, b.ActivationID, b.Period.Start, b.Period.End, b.Status)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "\nInsurance policies (today is %s)\n", view.Policies.Today)
	if len(view.Policies.Items) == 0 {
		fmt.Fprintln(out, "  none")
	} else {
		w = table(out)
		fmt.Fprintln(w, "POLICY\tKIND\tINSURER\tFROM\tTO\tCOVERS TODAY")
		for _, p := range view.Policies.Items {
			insurer := p.Insurer
			if insurer == "" {
				insurer = "-"
			}
			covers := "no"
			if p.CoversToday {
				covers = "yes"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Kind, insurer, p.ValidFrom, p.ValidTo, covers)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if len(view.Policies.UncoveredToday) == 0 {
		fmt.Fprintln(out, "Covered today: every kind")
		return nil
	}
	kinds := make([]string, len(view.Policies.UncoveredToday))
	for i, k := range view.Policies.UncoveredToday {
		kinds[i] = string(k)
	}
	fmt.Fprintf(out, "Not covered today: %s\n", strings.Join(kinds, ", "))
	return nil
}

func newExpertPolicyCommand(options *clientOptions) *cobra.Command {
	var file, kind, insurer, validFrom, validTo string
	cmd := &cobra.Command{
		Use:   "policy EXPERT_ID POLICY_ID (--kind KIND --valid-from DATE --valid-to DATE [--insurer NAME] | --file policy.json)",
		Short: "Add or replace an expert's insurance policy (administrators)",
		Long: "Add or replace the insurance policy POLICY of the expert ID, from flags or from a JSON file such as\n" +
			`  {"kind":"medical","insurer":"Allianz Care","validFrom":"2026-01-01","validTo":"2026-12-31"}` + "\n" +
			"Kinds: medical, evacuation, malicious_acts. Dates are the first and last days of cover.",
		Args: namedArgs("EXPERT_ID", "POLICY_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/experts/" + url.PathEscape(args[0]) + "/policies/" + url.PathEscape(args[1])
			var data []byte
			var status int
			var err error
			flagged := cmd.Flags().Changed("kind") || cmd.Flags().Changed("insurer") || cmd.Flags().Changed("valid-from") || cmd.Flags().Changed("valid-to")
			switch {
			case file != "" && flagged:
				return errors.New("give the policy either with --file or with --kind, --insurer, --valid-from and --valid-to, not both")
			case file != "":
				data, status, err = options.sendFile(cmd, http.MethodPut, path, file, nil)
			default:
				c, cerr := options.client(true)
				if cerr != nil {
					return cerr
				}
				body := api.PolicyInput{Kind: domain.CoverKind(kind), Insurer: insurer, ValidFrom: domain.Date(validFrom), ValidTo: domain.Date(validTo)}
				data, _, status, err = c.call(cmd.Context(), http.MethodPut, path, body, nil)
			}
			if err != nil || options.json {
				return orJSON(cmd, data, err)
			}
			var p domain.InsurancePolicy
			if err := jsonUnmarshal(data, &p); err != nil {
				return err
			}
			verb := "replaced"
			if status == http.StatusCreated {
				verb = "added"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "policy %s of expert %s %s: %s cover from %s to %s\n", p.ID, p.ExpertID, verb, p.Kind, p.ValidFrom, p.ValidTo)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the policy as JSON (- for standard input)")
	cmd.Flags().StringVar(&kind, "kind", "", "medical, evacuation or malicious_acts")
	cmd.Flags().StringVar(&insurer, "insurer", "", "the insurer")
	cmd.Flags().StringVar(&validFrom, "valid-from", "", "first day of cover (YYYY-MM-DD)")
	cmd.Flags().StringVar(&validTo, "valid-to", "", "last day of cover (YYYY-MM-DD)")
	return cmd
}
