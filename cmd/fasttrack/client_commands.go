package main

import (
	"crypto/rand"
	"encoding/hex"
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
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/seed"
)

// addClientCommands adds the commands that talk to the API over HTTP (local or deployed alike)
// to root, and `config set` to its config command.
func addClientCommands(root *cobra.Command) {
	options := &clientOptions{}
	commands := []*cobra.Command{
		newTokenCommand(options), newLoginCommand(options), newActivateCommand(options), newActivationsCommand(options),
		newTasksCommand(options), newDecideCommand(options), newHistoryCommand(options), newAuditCommand(options),
		newFundCommand(options), newDelegateCommand(options), newDelegationsCommand(options), newMetricsCommand(options),
		newExpertsCommand(options), newWhoAmICommand(options),
	}
	for _, cmd := range commands {
		options.register(cmd)
		root.AddCommand(cmd)
	}
	config := findCommand(root, "config")
	if config == nil {
		config = &cobra.Command{Use: "config", Short: "Configure the client commands"}
		root.AddCommand(config)
	}
	config.AddCommand(newConfigSetCommand())
}

func findCommand(root *cobra.Command, name string) *cobra.Command {
	for _, cmd := range root.Commands() {
		if cmd.Name() == name {
			return cmd
		}
	}
	return nil
}

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// request calls the API with the caller's token and decodes the answer into answer; then it
// prints the API's JSON with --json, and calls render otherwise.
func (o *clientOptions) request(cmd *cobra.Command, method, path string, body, answer any, render func() error) error {
	c, err := o.client(true)
	if err != nil {
		return err
	}
	data, err := c.getJSON(cmd.Context(), method, path, body, answer)
	if err != nil || o.json {
		return orJSON(cmd, data, err)
	}
	return render()
}

// filters is the query of a list's filters: the values that are set, by their query name.
func filters(values map[string]string) url.Values {
	query := url.Values{}
	for name, value := range values {
		if value != "" {
			query.Set(name, value)
		}
	}
	return query
}

// paging holds the flags of a list that comes in pages.
type paging struct {
	limit  int
	cursor string
}

// register adds the flags to cmd.
func (p *paging) register(cmd *cobra.Command) {
	cmd.Flags().IntVar(&p.limit, "limit", 0, "page size (1-100)")
	cmd.Flags().StringVar(&p.cursor, "cursor", "", "continue from a previous page")
}

// query adds the page size and the cursor to a list's query.
func (p *paging) query(query url.Values) url.Values {
	if p.cursor != "" {
		query.Set("cursor", p.cursor)
	}
	if p.limit != 0 { // a negative size goes too, for the API to refuse by name
		query.Set("limit", strconv.Itoa(p.limit))
	}
	return query
}

// endPage flushes a page's table and says how to ask for the next page, if there is one.
func endPage(cmd *cobra.Command, w *tabwriter.Writer, next string) error {
	if err := w.Flush(); err != nil {
		return err
	}
	if next != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "more: --cursor %s\n", next)
	}
	return nil
}

// localToken asks the running local system for a demo user's token.
func localToken(cmd *cobra.Command, options *clientOptions, user string) (auth.TokenResponse, string, error) {
	c, err := options.client(false)
	if err != nil {
		return auth.TokenResponse{}, "", err
	}
	var answer auth.TokenResponse
	_, err = c.getJSON(cmd.Context(), http.MethodPost, "/local/token", auth.TokenRequest{Username: user}, &answer)
	var p *problemError
	if errors.As(err, &p) && p.Status == http.StatusNotFound && p.Detail == "no such resource" {
		return answer, "", fmt.Errorf("%s has no local token endpoint: tokens of a deployed stage come from Cognito; pass --token or set $%s", c.base, envToken)
	}
	if errors.As(err, &p) && p.Status == http.StatusNotFound {
		return answer, "", fmt.Errorf("%w\nthe demo users are %s", err, strings.Join(demoUserIDs(), ", "))
	}
	return answer, c.base, err
}

// demoUserIDs lists the demo accounts `fasttrack local` seeds.
func demoUserIDs() []string {
	users := seed.DemoUsers()
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	return ids
}

func newTokenCommand(options *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "token USER",
		Short: "Print a bearer token for a demo user of the running local system",
		Long: "Asks the running `fasttrack local` (POST /local/token, answered on loopback only) for a token of a demo\n" +
			"user, such as office-ke, security-1, finance-1, auditor-1 or admin-1, and prints it. For curl:\n" +
			"  TOKEN=$(fasttrack token office-ke)\n" +
			"  curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:8080/activations\n" +
			"The client commands use `fasttrack login` instead; a token exported as $" + envToken + " would come before it.",
		Args: namedArgs("USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			answer, _, err := localToken(cmd, options, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), answer.Token)
			return nil
		},
	}
}

func newLoginCommand(options *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "login USER",
		Short: "Sign in as a demo user of the running local system; later commands use the saved token",
		Long: "Asks the running `fasttrack local` for a token of the demo user USER and saves it, with the API's\n" +
			"address, for the client commands (in the user configuration directory, readable by you only), until\n" +
			"it expires. Give --api once when the system serves elsewhere than " + defaultAPI + ". $" + envToken + "\n" +
			"and --token come before the saved token; `fasttrack whoami` says who the commands act as.",
		Args: namedArgs("USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			answer, base, err := localToken(cmd, options, args[0])
			if err != nil {
				return err
			}
			path, err := writeCredentials(savedLogin{APIURL: base, User: args[0], Token: answer.Token, ExpiresAt: answer.ExpiresAt})
			if err != nil {
				return err
			}
			roles := make([]string, len(answer.User.Roles))
			for i, r := range answer.User.Roles {
				roles[i] = string(r)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "signed in as %s (%s%s) at %s until %s; saved in %s\n", args[0], strings.Join(roles, ", "),
				officeNote(answer.User.Office), base, answer.ExpiresAt.Local().Format(time.RFC3339), path)
			// The environment's token comes before the saved one: say so, or every later
			// command would still act as whoever that token names.
			if os.Getenv(envToken) != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: $%s is set and is used before the saved login, so the client commands do not act as %s "+
					"until you run `unset %s`\n", envToken, args[0], envToken)
			}
			return nil
		},
	}
}

// tokenSource says where the client commands' token comes from, in the order bearer reads them.
func (o *clientOptions) tokenSource() string {
	switch {
	case o.token != "":
		return "--token"
	case os.Getenv(envToken) != "":
		return "$" + envToken
	}
	c, err := readCredentials()
	if err != nil || c.Token == "" {
		return ""
	}
	if c.User == "" {
		return "saved by `fasttrack config set token`"
	}
	return fmt.Sprintf("saved by `fasttrack login %s`, valid until %s", c.User, c.ExpiresAt.Local().Format(time.RFC3339))
}

func newWhoAmICommand(options *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Who the client commands act as: your user, roles and office, the API, and what you may do",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var me api.Me
			return options.request(cmd, http.MethodGet, "/me", nil, &me, func() error {
				base, _ := options.apiURL()
				roles := make([]string, len(me.Roles))
				for i, r := range me.Roles {
					roles[i] = string(r)
				}
				may := make([]string, 0, len(me.Permissions))
				for action, scope := range me.Permissions {
					may = append(may, fmt.Sprintf("%s (%s)", action, scope))
				}
				slices.Sort(may)
				w := table(cmd.OutOrStdout())
				fmt.Fprintf(w, "User\t%s\n", me.ID)
				fmt.Fprintf(w, "Roles\t%s\n", strings.Join(roles, ", "))
				fmt.Fprintf(w, "Office\t%s\n", orDash(me.Office))
				fmt.Fprintf(w, "API\t%s\n", base)
				fmt.Fprintf(w, "Token\t%s\n", orDash(options.tokenSource()))
				for i, m := range may {
					label := ""
					if i == 0 {
						label = "May"
					}
					fmt.Fprintf(w, "%s\t%s\n", label, m)
				}
				return w.Flush()
			})
		},
	}
}

func officeNote(office string) string {
	if office == "" {
		return ""
	}
	return ", office " + office
}

func newConfigSetCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "set api|token VALUE",
		Short: "Save the API URL or a bearer token for the client commands",
		Args:  namedArgs("api|token", "VALUE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := readCredentials()
			if err != nil {
				return err
			}
			switch args[0] {
			case "api":
				if !isHTTPURL(args[1]) {
					return fmt.Errorf("%q is not an http(s) URL", args[1])
				}
				c.APIURL = strings.TrimRight(args[1], "/")
			case "token":
				c.Token, c.User, c.ExpiresAt = args[1], "", time.Time{}
			default:
				return fmt.Errorf("unknown setting %q: use api or token", args[0])
			}
			path, err := writeCredentials(c)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "saved %s in %s\n", args[0], path)
			return nil
		},
	}
}

func newIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "cli-" + hex.EncodeToString(b[:])
}

func newActivateCommand(options *clientOptions) *cobra.Command {
	var file, key string
	cmd := &cobra.Command{
		Use:   "activate -f request.json",
		Short: "Request an activation (country office); the office comes from your token",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return errors.New("-f request.json is required (- reads standard input)")
			}
			data, err := readBodyFile(cmd, file)
			if err != nil {
				return err
			}
			c, err := options.client(true)
			if err != nil {
				return err
			}
			if key == "" {
				key = newIdempotencyKey()
			}
			// The request goes as it is written, so that the API names the file's own
			// mistakes; a retry after a lost answer reuses the key and makes no second one.
			var answer []byte
			var status int
			for attempt := 1; ; attempt++ {
				answer, _, status, err = c.call(cmd.Context(), http.MethodPost, "/activations", jsonBody(data), map[string]string{api.IdempotencyHeader: key})
				var p *problemError
				retry := err != nil && (status == 0 || errors.As(err, &p) && p.Status == http.StatusServiceUnavailable)
				if !retry || attempt == 3 {
					break
				}
				time.Sleep(time.Duration(attempt) * 500 * time.Millisecond)
			}
			if err != nil {
				return err
			}
			if options.json {
				return printJSON(cmd.OutOrStdout(), answer)
			}
			var a domain.Activation
			if err := jsonUnmarshal(answer, &a); err != nil {
				return err
			}
			verb := "requested"
			if status == http.StatusOK {
				verb = "already requested (same Idempotency-Key)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "activation %s %s: status %s, priority %d, %s to %s, %s\n",
				a.ID, verb, a.Status, a.Priority, amountText(a.Amount), a.DutyStation, a.Country)
			fmt.Fprintf(cmd.OutOrStdout(), "follow it with: fasttrack activations show %s\n", a.ID)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "activation request as JSON (- for standard input)")
	cmd.Flags().StringVar(&key, "idempotency-key", "", "Idempotency-Key (default: a new random key, reused by the retries of this run)")
	return cmd
}

func newActivationsCommand(options *clientOptions) *cobra.Command {
	var status, country, crisisType, office, createdAfter, createdBefore string
	var pages paging
	list := func(cmd *cobra.Command, _ []string) error {
		after, err := optionalWhen("created-after", createdAfter)
		if err != nil {
			return err
		}
		before, err := optionalWhen("created-before", createdBefore)
		if err != nil {
			return err
		}
		query := pages.query(filters(map[string]string{"status": status, "country": country, "crisisType": crisisType, "office": office,
			"createdAfter": after, "createdBefore": before}))
		var page api.ActivationList
		return options.request(cmd, http.MethodGet, "/activations?"+query.Encode(), nil, &page, func() error {
			if len(page.Items) == 0 && page.Next == "" {
				fmt.Fprintln(cmd.OutOrStdout(), "no activations")
				return nil
			}
			w := table(cmd.OutOrStdout())
			fmt.Fprintln(w, "ID\tSTATUS\tOFFICE\tCOUNTRY\tDUTY STATION\tCRISIS\tAMOUNT\tPRIORITY\tCREATED")
			for _, a := range page.Items {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", a.ID, statusOf(a), a.Office, a.Country, a.DutyStation, a.CrisisType,
					amountText(a.Amount), a.Priority, a.CreatedAt.Local().Format("2006-01-02 15:04"))
			}
			return endPage(cmd, w, page.Next)
		})
	}
	cmd := &cobra.Command{
		Use:   "activations [list|show ACTIVATION_ID|cancel ACTIVATION_ID|redrive ACTIVATION_ID]",
		Short: "List, show, cancel or redrive activations",
		Args:  cobra.NoArgs,
		RunE:  list,
	}
	listCommand := &cobra.Command{Use: "list", Short: "List activations (your office's, or all for central roles)", Args: cobra.NoArgs, RunE: list}
	for _, c := range []*cobra.Command{cmd, listCommand} {
		c.Flags().StringVar(&status, "status", "", "only this status (REQUESTED, IN_PROGRESS, AWAITING_APPROVAL, ACTIVE, ...)")
		c.Flags().StringVar(&country, "country", "", "only this country (ISO code)")
		c.Flags().StringVar(&crisisType, "crisis-type", "", "only this crisis type")
		c.Flags().StringVar(&office, "office", "", "only this office (central roles)")
		c.Flags().StringVar(&createdAfter, "created-after", "", "only activations created from this day (2026-11-01) or time (RFC 3339)")
		c.Flags().StringVar(&createdBefore, "created-before", "", "only activations created before this day or time")
		pages.register(c)
	}
	show := &cobra.Command{
		Use: "show ACTIVATION_ID", Short: "Show one activation: its status, steps, deployments and workflow", Args: namedArgs("ACTIVATION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var a api.ActivationView
			return options.request(cmd, http.MethodGet, "/activations/"+url.PathEscape(args[0]), nil, &a, func() error {
				printActivation(cmd.OutOrStdout(), a)
				return nil
			})
		},
	}
	var reason string
	cancel := &cobra.Command{
		Use: "cancel ACTIVATION_ID", Short: "Cancel an activation of your office; compensation releases what was reserved", Args: namedArgs("ACTIVATION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var a domain.Activation
			path := "/activations/" + url.PathEscape(args[0]) + "/cancel"
			return options.request(cmd, http.MethodPost, path, api.CancelRequest{Reason: reason}, &a, func() error {
				fmt.Fprintf(cmd.OutOrStdout(), "cancellation of %s accepted (status %s); the workflow compensates and ends in CANCELLED\n", a.ID, a.Status)
				return nil
			})
		},
	}
	cancel.Flags().StringVar(&reason, "reason", "", "why (recorded in the audit trail)")
	cmd.AddCommand(listCommand, show, cancel, newRedriveCommand(options))
	return cmd
}

func statusOf(a domain.Activation) string {
	if a.CancelRequested && !a.Status.Terminal() {
		return string(a.Status) + " (cancelling)"
	}
	return string(a.Status)
}

func printActivation(w io.Writer, view api.ActivationView) {
	a := view.Activation
	t := table(w)
	row := func(k, v string) { fmt.Fprintf(t, "%s\t%s\n", k, v) }
	row("ID", a.ID)
	row("Status", statusOf(a))
	if view.Workflow != nil {
		row("Workflow", workflowPhrase(a.ID, *view.Workflow))
	}
	row("Office", a.Office)
	row("Requested by", a.RequestedBy)
	row("Country / duty station", fmt.Sprintf("%s / %s (security level %d)", a.Country, a.DutyStation, a.SecurityLevel))
	row("Crisis", fmt.Sprintf("%s, %s", a.CrisisType, a.Phase))
	row("Amount", amountText(a.Amount))
	row("Priority", strconv.Itoa(a.Priority))
	row("People affected", strconv.FormatInt(a.PeopleAffected.Total(), 10))
	row("Purpose", a.Purpose)
	row("Created", a.CreatedAt.Local().Format(time.RFC3339))
	if a.Reason != "" {
		row("Reason", a.Reason)
	}
	for i, p := range a.Profiles {
		row(fmt.Sprintf("Profile %d", i+1), fmt.Sprintf("%s, %s, from %s for %d days", p.Area, strings.Join(p.Languages, "/"), p.StartDate, p.Days))
	}
	for _, d := range a.Deployments {
		row(fmt.Sprintf("Deployment %d", d.ProfileIndex+1), fmt.Sprintf("expert %s, %s to %s", d.ExpertID, d.Period.Start, d.Period.End))
	}
	for _, s := range a.Steps {
		row("Step "+s.Name, fmt.Sprintf("%s at %s %s", s.Status, s.At.Local().Format("2006-01-02 15:04:05"), s.Detail))
	}
	_ = t.Flush()
}

// workflowPhrase says where an activation's workflow stands, and for one that stopped on a
// failure, that nothing is lost and how it goes on.
func workflowPhrase(id string, w api.WorkflowStatus) string {
	text := w.Status
	if w.Error != "" {
		text += " (" + w.Error + ")"
	}
	if w.RedriveCount > 0 {
		text += fmt.Sprintf(", redriven %s", plural(w.RedriveCount, "time", "times"))
	}
	if w.Stalled {
		text += "; stopped on a failure with nothing undone: an administrator resumes it with `fasttrack activations redrive " + id +
			"`, or the office cancels it"
	}
	return text
}

func newTasksCommand(options *clientOptions) *cobra.Command {
	var status, country, crisisType, dueBefore, role string
	var pages paging
	cmd := &cobra.Command{
		Use:   "tasks [show TASK_ID|reassign TASK_ID]",
		Short: "Your approval inbox: open tasks first, by priority and deadline; reassign one (administrators)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			due, err := optionalWhen("due-before", dueBefore)
			if err != nil {
				return err
			}
			query := pages.query(filters(map[string]string{"status": status, "country": country, "crisisType": crisisType, "dueBefore": due, "role": role}))
			var page api.TaskList
			return options.request(cmd, http.MethodGet, "/tasks?"+query.Encode(), nil, &page, func() error {
				if len(page.Items) == 0 && page.Next == "" {
					fmt.Fprintln(cmd.OutOrStdout(), "no tasks")
					return nil
				}
				w := table(cmd.OutOrStdout())
				fmt.Fprintln(w, "TASK\tSTATUS\tROLE\tKIND\tACTIVATION\tCOUNTRY\tAMOUNT\tPRIORITY\tASSIGNEE\tDEADLINE\tTIME LEFT")
				for _, t := range page.Items {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", t.ID, t.Status, t.Role, t.Kind, t.ActivationID, t.Summary.Country,
						amountText(t.Summary.Amount), t.Priority, orDash(t.Assignee), t.Deadline.Local().Format("2006-01-02 15:04"), taskTimeLeft(t))
				}
				return endPage(cmd, w, page.Next)
			})
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only this status (OPEN, DECIDED, ESCALATED, EXPIRED)")
	cmd.Flags().StringVar(&country, "country", "", "only this country")
	cmd.Flags().StringVar(&crisisType, "crisis-type", "", "only this crisis type")
	cmd.Flags().StringVar(&dueBefore, "due-before", "", "only tasks due before this day (2026-12-01, midnight local time), time (RFC 3339) or now")
	cmd.Flags().StringVar(&role, "role", "", "only this one of your roles")
	pages.register(cmd)
	cmd.AddCommand(newTaskShowCommand(options), newTaskReassignCommand(options))
	return cmd
}

// taskTimeLeft is the time until an open task's deadline, or how long it is overdue; a task
// that is no longer open has no time left to count ("-").
func taskTimeLeft(t api.TaskView) string {
	if t.Status != domain.TaskOpen {
		return "-"
	}
	return timeLeft(t.TimeLeftSeconds)
}

// timeLeft writes a number of seconds in hours and minutes (seconds under a minute).
func timeLeft(seconds int64) string {
	prefix := ""
	if seconds < 0 {
		prefix, seconds = "overdue ", -seconds
	}
	d := time.Duration(seconds) * time.Second
	if d >= time.Minute {
		d = d.Truncate(time.Minute)
	}
	text := d.String()
	if strings.HasSuffix(text, "m0s") {
		text = strings.TrimSuffix(text, "0s")
	}
	return prefix + text
}

// orDash writes "-" for an empty cell.
func orDash(text string) string {
	if text == "" {
		return "-"
	}
	return text
}

// optionalWhen reads an optional time flag (a day, an RFC 3339 time or now) as RFC 3339 for a
// query; empty stays empty.
func optionalWhen(flag, text string) (string, error) {
	if strings.TrimSpace(text) == "" {
		return "", nil
	}
	t, err := parseWhen(flag, text, time.Now())
	if err != nil {
		return "", err
	}
	return t.UTC().Format(time.RFC3339), nil
}

func newDecideCommand(options *clientOptions) *cobra.Command {
	var comment string
	cmd := &cobra.Command{
		Use:   "decide TASK_ID approve|reject",
		Short: "Approve or reject a task of your role (a rejection, and a level-6 override, need --comment)",
		Long: "Approve or reject the open task TASK_ID (as `fasttrack tasks` lists it), in the task's role or as the\n" +
			"delegate of someone who holds it. A rejection needs --comment (why), and so does the approval of a\n" +
			"security override (kind security_override, a level-6 duty station): the written justification.",
		Args: namedArgs("TASK_ID", "approve|reject"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[1] != "approve" && args[1] != "reject" {
				return fmt.Errorf("the decision is approve or reject, not %q", args[1])
			}
			var task api.TaskView
			body := api.DecisionRequest{Decision: domain.Outcome(args[1]), Comment: comment}
			return options.request(cmd, http.MethodPost, "/tasks/"+url.PathEscape(args[0])+"/decision", body, &task, func() error {
				fmt.Fprintf(cmd.OutOrStdout(), "task %s (%s, activation %s): %s\n", task.ID, task.Kind, task.ActivationID, decisionPhrase(args[1], task.Decision))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&comment, "comment", "", "why (required to reject, and to approve a security override)")
	return cmd
}

// decisionPhrase says what was decided and by whom, and on whose behalf for a delegate.
func decisionPhrase(outcome string, decision *domain.Decision) string {
	phrase := "approved"
	if outcome == string(domain.Reject) {
		phrase = "rejected"
	}
	if decision == nil {
		return phrase
	}
	phrase += " by " + decision.ActorID
	if decision.OnBehalfOf != "" {
		phrase += " on behalf of " + decision.OnBehalfOf
	}
	return phrase
}

func newHistoryCommand(options *clientOptions) *cobra.Command {
	var source string
	cmd := &cobra.Command{
		Use:   "history ACTIVATION_ID",
		Short: "An activation's timeline: the workflow's events and the audit trail, with who and when",
		Long: "An activation's timeline in time order: the audit trail (who decided what, the money and the bookings,\n" +
			"kept for years) and the workflow's own events (each state entered and left, while the workflow\n" +
			"service keeps them). --source audit shows the audit trail only. WHAT sums up each event; --json\n" +
			"prints all of it.",
		Args: namedArgs("ACTIVATION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if source != "" && source != "audit" && source != "workflow" {
				return fmt.Errorf("--source is audit or workflow, not %q", source)
			}
			var history api.History
			return options.request(cmd, http.MethodGet, "/activations/"+url.PathEscape(args[0])+"/history", nil, &history, func() error {
				w := table(cmd.OutOrStdout())
				fmt.Fprintln(w, "TIME\tSOURCE\tEVENT\tSTEP\tWHO\tWHAT")
				for _, e := range history.Items {
					if source != "" && e.Source != source {
						continue
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format("2006-01-02 15:04:05.000"), e.Source, e.Type, e.Step, e.Actor,
						describeHistoryEvent(e, args[0]))
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "only the audit trail (audit) or the workflow's events (workflow)")
	return cmd
}

// describeHistoryEvent sums up a timeline entry of the activation: an audit event by what it
// acted on and its change, a workflow event by its error, if any.
func describeHistoryEvent(e api.HistoryEvent, activationID string) string {
	detail, _ := e.Detail.(map[string]any)
	if e.Source != "audit" {
		return describeWorkflowEvent(detail)
	}
	raw := func(key string) json.RawMessage {
		if detail[key] == nil {
			return nil
		}
		data, _ := json.Marshal(detail[key])
		return data
	}
	what := describeChange(e.Type, raw("before"), raw("after"))
	// A task's id begins with its activation's, which the timeline is about.
	subject := strings.TrimPrefix(text(detail, "subject"), activationID+".")
	if subject != "" && !strings.Contains(what, subject) && e.Type != audit.ActionStepCompleted && e.Type != audit.ActionActivationRequested {
		what = clip(subject + ": " + what)
	}
	return what
}

func newAuditCommand(options *clientOptions) *cobra.Command {
	var activation, actor, country, action, from, to, format, output string
	var pages paging
	auditFilters := func() (url.Values, error) {
		start, err := optionalWhen("from", from)
		if err != nil {
			return nil, err
		}
		end, err := optionalWhen("to", to)
		if err != nil {
			return nil, err
		}
		return filters(map[string]string{"activationId": activation, "actor": actor, "country": country, "action": action, "from": start, "to": end}), nil
	}
	search := func(cmd *cobra.Command, _ []string) error {
		query, err := auditFilters()
		if err != nil {
			return err
		}
		var page api.AuditList
		return options.request(cmd, http.MethodGet, "/audit?"+pages.query(query).Encode(), nil, &page, func() error {
			if len(page.Items) == 0 && page.Next == "" {
				fmt.Fprintln(cmd.OutOrStdout(), "no audit events")
				return nil
			}
			w := table(cmd.OutOrStdout())
			fmt.Fprintln(w, "TIME\tACTION\tWHO\tROLE\tACTIVATION\tSUBJECT\tWHAT")
			for _, e := range page.Items {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format("2006-01-02 15:04:05"), e.Action, e.Actor, e.Role,
					orDash(e.ActivationID), orDash(e.Subject), describeChange(e.Action, e.Before, e.After))
			}
			return endPage(cmd, w, page.Next)
		})
	}
	addFilters := func(c *cobra.Command) {
		c.Flags().StringVar(&activation, "activation", "", "only this activation")
		c.Flags().StringVar(&actor, "actor", "", "only this person")
		c.Flags().StringVar(&country, "country", "", "only this country")
		c.Flags().StringVar(&action, "action", "", "only this action, such as task.decided")
		c.Flags().StringVar(&from, "from", "", "from this day (2026-11-01, midnight local time), time (RFC 3339) or now")
		c.Flags().StringVar(&to, "to", "", "until this day, time or now")
	}
	cmd := &cobra.Command{Use: "audit [search|export|verify]", Short: "Search, export or verify the audit trail (auditors, admins)", Args: cobra.NoArgs, RunE: search}
	searchCommand := &cobra.Command{Use: "search", Short: "Search the audit trail", Args: cobra.NoArgs, RunE: search}
	for _, c := range []*cobra.Command{cmd, searchCommand} {
		addFilters(c)
		pages.register(c)
	}
	export := &cobra.Command{
		Use: "export", Short: "Export the audit trail as JSON lines or CSV", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "jsonl" && format != "csv" {
				return fmt.Errorf("--format is jsonl or csv, not %q", format)
			}
			query, err := auditFilters()
			if err != nil {
				return err
			}
			c, err := options.client(true)
			if err != nil {
				return err
			}
			query.Set("format", format)
			data, _, _, err := c.call(cmd.Context(), http.MethodGet, "/audit/export?"+query.Encode(), nil, nil)
			if err != nil {
				return err
			}
			if output == "" || output == "-" {
				_, err = cmd.OutOrStdout().Write(data)
				return err
			}
			if err := os.WriteFile(output, data, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d bytes to %s\n", len(data), output)
			return nil
		},
	}
	addFilters(export)
	export.Flags().StringVar(&format, "format", "jsonl", "jsonl or csv")
	export.Flags().StringVarP(&output, "output", "o", "", "file to write (default standard output)")
	cmd.AddCommand(searchCommand, export, newAuditVerifyCommand(options))
	return cmd
}

// errAuditBroken is returned (and the command exits non-zero) when a chain is broken.
var errAuditBroken = errors.New("the audit trail is broken")

// newAuditVerifyCommand checks the audit trail's hash chains through the API (GET /audit/verify):
// one activation's chain, or, page by page, every activation's and the system stream. Each break
// is printed with its stream, sequence number and what is wrong, and the command fails if there
// is any.
func newAuditVerifyCommand(options *clientOptions) *cobra.Command {
	var activation string
	var limit int
	cmd := &cobra.Command{
		Use:   "verify [--activation ACTIVATION_ID]",
		Short: "Check the audit trail's hash chains and report every break (auditors, admins)",
		Long: "Check the audit trail's hash chains through the API and report every event that breaks one: its stream\n" +
			"(ACT#<activation> or SYSTEM), its sequence number and what is wrong. Exits non-zero on a break.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 || limit > 100 {
				return fmt.Errorf("--limit is 1 to 100, not %d", limit)
			}
			c, err := options.client(true)
			if err != nil {
				return err
			}
			total := api.AuditVerification{Streams: []string{}, Breaks: []audit.Break{}}
			cursor := ""
			for {
				query := url.Values{}
				if activation != "" {
					query.Set("activationId", activation)
				} else {
					query.Set("limit", strconv.Itoa(limit))
					if cursor != "" {
						query.Set("cursor", cursor)
					}
				}
				var page api.AuditVerification
				if _, err := c.getJSON(cmd.Context(), http.MethodGet, "/audit/verify?"+query.Encode(), nil, &page); err != nil {
					return err
				}
				total.Streams = append(total.Streams, page.Streams...)
				total.Events += page.Events
				total.Breaks = append(total.Breaks, page.Breaks...)
				if cursor = page.Next; cursor == "" || activation != "" {
					break
				}
			}
			out := cmd.OutOrStdout()
			if options.json {
				data, err := json.Marshal(total)
				if err != nil {
					return err
				}
				if err := printJSON(out, data); err != nil {
					return err
				}
			} else {
				w := table(out)
				if len(total.Breaks) > 0 {
					fmt.Fprintln(w, "STREAM\tSEQ\tWHAT IS WRONG")
					for _, b := range total.Breaks {
						fmt.Fprintf(w, "%s\t%d\t%s\n", b.Stream, b.Seq, b.Reason)
					}
				}
				if err := w.Flush(); err != nil {
					return err
				}
				fmt.Fprintf(out, "checked %s, %s: %s\n", plural(len(total.Streams), "chain", "chains"), plural(total.Events, "event", "events"),
					plural(len(total.Breaks), "break", "breaks"))
			}
			if len(total.Breaks) > 0 {
				return fmt.Errorf("%w: %s their chain", errAuditBroken, plural(len(total.Breaks), "event breaks", "events break"))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&activation, "activation", "", "check this activation's chain only")
	cmd.Flags().IntVar(&limit, "limit", 50, "activations checked per request (1-100)")
	return cmd
}

func newFundCommand(options *clientOptions) *cobra.Command {
	var currency string
	show := func(cmd *cobra.Command, _ []string) error {
		var fund api.FundView
		return options.request(cmd, http.MethodGet, "/fund?"+filters(map[string]string{"currency": currency}).Encode(), nil, &fund, func() error {
			return printFund(cmd.OutOrStdout(), fund)
		})
	}
	cmd := &cobra.Command{Use: "fund [show|contribute]", Short: "The rapid action fund", Args: cobra.NoArgs, RunE: show}
	showCommand := &cobra.Command{Use: "show", Short: "Balances and latest ledger entries", Args: cobra.NoArgs, RunE: show}
	for _, c := range []*cobra.Command{cmd, showCommand} {
		c.Flags().StringVar(&currency, "currency", "", "only this currency")
	}
	var amount, donor, reference, key string
	contribute := &cobra.Command{
		Use: "contribute --amount 250000.00 --currency USD --donor NAME", Short: "Add a donor contribution (admin)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if currency == "" {
				currency = "USD"
			}
			if strings.TrimSpace(amount) == "" {
				return errors.New("--amount is required: the contribution in the currency's units, such as 250000.00")
			}
			value, err := parseAmount(amount, currency)
			if err != nil {
				return err
			}
			c, err := options.client(true)
			if err != nil {
				return err
			}
			if key == "" {
				key = newIdempotencyKey()
			}
			data, _, _, err := c.call(cmd.Context(), http.MethodPost, "/fund/contributions",
				api.ContributionRequest{Amount: domain.Money{Value: value, Currency: currency}, Donor: donor, Reference: reference},
				map[string]string{api.IdempotencyHeader: key})
			if err != nil || options.json {
				return orJSON(cmd, data, err)
			}
			var result api.ContributionResult
			if err := jsonUnmarshal(data, &result); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "contributed %s; available now %s\n", amountText(domain.Money{Value: result.Entry.Amount, Currency: currency}),
				amountText(domain.Money{Value: result.Balance.Available, Currency: currency}))
			return nil
		},
	}
	contribute.Flags().StringVar(&amount, "amount", "", "amount in the currency, such as 250000.00")
	contribute.Flags().StringVar(&currency, "currency", "USD", "ISO 4217 currency")
	contribute.Flags().StringVar(&donor, "donor", "", "the donor")
	contribute.Flags().StringVar(&reference, "reference", "", "the donor's agreement reference")
	contribute.Flags().StringVar(&key, "idempotency-key", "", "Idempotency-Key (a retry with the same key adds the money once)")
	cmd.AddCommand(showCommand, contribute)
	return cmd
}

// printFund writes the fund's balances and its latest ledger entries.
func printFund(out io.Writer, fund api.FundView) error {
	w := table(out)
	fmt.Fprintln(w, "CURRENCY\tAVAILABLE\tRESERVED\tRELEASED\tCONTRIBUTED")
	for _, b := range fund.Balances {
		m := func(v int64) string { return amountText(domain.Money{Value: v, Currency: b.Currency}) }
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", b.Currency, m(b.Available), m(b.Reserved), m(b.Released), m(b.Contributed))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(fund.Ledger) > 0 {
		fmt.Fprintln(out, "\nLatest ledger entries")
		w = table(out)
		fmt.Fprintln(w, "TIME\tKIND\tAMOUNT\tACTIVATION / REFERENCE\tBY")
		for _, e := range fund.Ledger {
			ref := e.ActivationID
			if ref == "" {
				ref = e.Reference
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", e.At.Local().Format("2006-01-02 15:04"), e.Kind, amountText(domain.Money{Value: e.Amount, Currency: e.Currency}), ref, e.Actor)
		}
	}
	return w.Flush()
}

// amountText writes an amount as the tables show it, with its thousands grouped
// (1,230,000.00 USD), which the API's plain form (1230000.00 USD) is not.
func amountText(m domain.Money) string {
	plain := m.String()
	number, currency, _ := strings.Cut(plain, " ")
	sign := ""
	if strings.HasPrefix(number, "-") {
		sign, number = "-", number[1:]
	}
	whole, fraction, hasFraction := strings.Cut(number, ".")
	var grouped strings.Builder
	for i, digit := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			grouped.WriteByte(',')
		}
		grouped.WriteRune(digit)
	}
	text := sign + grouped.String()
	if hasFraction {
		text += "." + fraction
	}
	return strings.TrimSpace(text + " " + currency)
}

// parseAmount turns "250000.50" into minor units of the currency, exactly (no floating point).
func parseAmount(text, currency string) (int64, error) {
	exponent := domain.CurrencyExponent(currency)
	whole, fraction, hasFraction := strings.Cut(strings.TrimSpace(text), ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || (hasFraction && (fraction == "" || strings.Trim(fraction, "0123456789") != "")) {
		return 0, fmt.Errorf("--amount %q is not a positive amount such as 250000.00", text)
	}
	if len(fraction) > exponent {
		return 0, fmt.Errorf("--amount %q has more than %d decimals for %s", text, exponent, currency)
	}
	fraction += strings.Repeat("0", exponent-len(fraction))
	value, err := strconv.ParseInt(whole+fraction, 10, 64)
	if err != nil || value <= 0 {
		return 0, fmt.Errorf("--amount %q is not a positive amount in range", text)
	}
	return value, nil
}
