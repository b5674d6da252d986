package console_test

// Browser tests: headless Chromium (Debian's, installed by scripts/deps.sh) driven with
// chromedp against the console and the real API over DynamoDB Local. Set
// FASTTRACK_SCREENSHOTS to a directory to keep a PNG of each main view.

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// chromiumPath finds the browser: FASTTRACK_CHROMIUM, else chromium on the PATH.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if path := os.Getenv("FASTTRACK_CHROMIUM"); path != "" {
		return path
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Fatal("no Chromium found: run `scripts/deps.sh base` (installs Debian's chromium) or set FASTTRACK_CHROMIUM")
	return ""
}

// newBrowser starts one headless Chromium for the test; each tab made from it is a fresh
// session (sessionStorage is per tab).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	// A fresh profile per browser, removed once the browser and its helper processes are gone
	// (they may still be writing to it for a moment after the main process exits).
	profile, err := os.MkdirTemp("", "fasttrack-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	options := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	}
	allocator, cancelAllocator := chromedp.NewExecAllocator(context.Background(), options...)
	// Chromium reports events newer than the protocol definitions chromedp was built with
	// (the top layer of a <dialog>); those are not errors of the console.
	logErrors := func(format string, args ...any) {
		if message := fmt.Sprintf(format, args...); !strings.Contains(message, "unhandled") {
			log.Print(message)
		}
	}
	browser, cancelBrowser := chromedp.NewContext(allocator, chromedp.WithErrorf(logErrors))
	if err := chromedp.Run(browser); err != nil {
		cancelBrowser()
		cancelAllocator()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		_ = chromedp.Cancel(browser)
		cancelBrowser()
		cancelAllocator()
		deadline := time.Now().Add(10 * time.Second)
		for os.RemoveAll(profile) != nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
	})
	return browser
}

// newTab opens a tab with a deadline for everything done in it. An uncaught exception or a
// console.error in the page fails the test.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	tab, cancelTab := chromedp.NewContext(browser)
	tab, cancelTimeout := context.WithTimeout(tab, 90*time.Second)
	var mu sync.Mutex
	var problems []string
	chromedp.ListenTarget(tab, func(event any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := event.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, "uncaught: "+e.ExceptionDetails.Error())
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError {
				var args []string
				for _, arg := range e.Args {
					args = append(args, string(arg.Value)+arg.Description)
				}
				problems = append(problems, "console.error: "+strings.Join(args, " "))
			}
		}
	})
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		mu.Lock()
		defer mu.Unlock()
		for _, problem := range problems {
			t.Errorf("page: %s", problem)
		}
	})
	return tab
}

func run(t *testing.T, tab context.Context, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(tab, actions...); err != nil {
		t.Fatal(err)
	}
}

// until waits (polling in the page) for a JavaScript expression to be true.
func until(expression string) chromedp.Action {
	return chromedp.Poll(expression, nil, chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(50*time.Millisecond))
}

// jsString quotes s for use inside a JavaScript expression.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// screenshot keeps a PNG of the whole page when FASTTRACK_SCREENSHOTS names a directory.
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	capture(t, tab, name, chromedp.FullScreenshot)
}

// screenshotView keeps a PNG of what the window shows (for long pages).
func screenshotView(t *testing.T, tab context.Context, name string) {
	t.Helper()
	capture(t, tab, name, func(png *[]byte, _ int) chromedp.EmulateAction { return chromedp.CaptureScreenshot(png) })
}

func capture(t *testing.T, tab context.Context, name string, shoot func(*[]byte, int) chromedp.EmulateAction) {
	t.Helper()
	dir := os.Getenv("FASTTRACK_SCREENSHOTS")
	if dir == "" {
		return
	}
	var png []byte
	run(t, tab, shoot(&png, 100))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// signIn opens the console and signs in as a demo user through the local token endpoint.
func signIn(t *testing.T, s *stack, tab context.Context, username string) {
	t.Helper()
	button := fmt.Sprintf(`button[data-username=%q]`, username)
	run(t, tab,
		chromedp.Navigate(s.url+"/console/"),
		chromedp.WaitVisible(button, chromedp.ByQuery),
		chromedp.Click(button, chromedp.ByQuery),
		chromedp.WaitVisible("#sign-out", chromedp.ByQuery),
		until(`document.querySelector('.who-name').textContent === `+jsString(username)),
	)
}

// unlabelled lists the page's form controls that have no accessible name (a label, an
// aria-label, or an enclosing label).
const unlabelled = `[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
	.filter(c => !(c.labels && c.labels.length) && !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby'))
	.map(c => c.name || c.id || c.outerHTML.slice(0, 60)).join(', ')`

// checkLabels fails the test for any form control without an accessible name.
func checkLabels(t *testing.T, tab context.Context, view string) {
	t.Helper()
	if names := text(t, tab, unlabelled); names != "" {
		t.Errorf("%s: controls without a label: %s", view, names)
	}
}

func text(t *testing.T, tab context.Context, expression string) string {
	t.Helper()
	var out string
	run(t, tab, chromedp.Evaluate(expression, &out))
	return out
}

func number(t *testing.T, tab context.Context, expression string) int {
	t.Helper()
	var out int
	run(t, tab, chromedp.Evaluate(expression, &out))
	return out
}

// TestConsoleActivationPath follows one activation through the console: the Kenya office
// requests it (a field error first, shown by its field), the security approver approves it
// from the inbox, and the auditor reads its history; the admin sees the fund and the roster.
func TestConsoleActivationPath(t *testing.T) {
	s := newStack(t)
	browser := newBrowser(t)
	var activationID string

	t.Run("office requests, fixes a field error, sees the status", func(t *testing.T) {
		tab := newTab(t, browser)
		signIn(t, s, tab, "office-ke")
		screenshot(t, tab, "01-activations-empty")
		run(t, tab,
			chromedp.Click(`.page-head a[href="#/activations/new"]`, chromedp.ByQuery),
			chromedp.WaitVisible("#request-form", chromedp.ByQuery),
			// The office's own country is chosen already, and it is the only one offered (a country
			// office requests for its own country); its duty stations are offered.
			until(`document.querySelector('select[name="country"]').value === 'KE'`),
			until(`[...document.querySelectorAll('select[name="country"] option')].filter((o) => o.value).map((o) => o.value).join() === 'KE'`),
			chromedp.SetValue(`select[name="dutyStation"]`, "Mombasa", chromedp.ByQuery),
			chromedp.SetValue(`select[name="crisisType"]`, "natural_disaster", chromedp.ByQuery),
			chromedp.SetValue(`input[name="peopleAffected.women"]`, "5200", chromedp.ByQuery),
			chromedp.SetValue(`input[name="peopleAffected.men"]`, "4800", chromedp.ByQuery),
			chromedp.Click(`input[name="targetGroups"][value="women"]`, chromedp.ByQuery),
			chromedp.Click(`input[name="targetGroups"][value="youth"]`, chromedp.ByQuery),
			chromedp.SendKeys(`input[name="amount.value"]`, "20,000.00", chromedp.ByQuery),
			chromedp.SendKeys(`textarea[name="purpose"]`, "Debris clearance and a rapid needs assessment", chromedp.ByQuery),
			chromedp.SendKeys(`input[name="demandReference"]`, "Request of the Ministry of Labour, ref. 2026/77", chromedp.ByQuery),
			chromedp.SendKeys(`textarea[name="justification"]`, "Floods displaced 17,000 people along the coast.", chromedp.ByQuery),
			chromedp.SetValue(`select[name="profiles[0].area"]`, "needs_assessment", chromedp.ByQuery),
			// A start date in the past: the API refuses it, naming the field.
			chromedp.SetValue(`input[name="profiles[0].startDate"]`, "2020-01-01", chromedp.ByQuery),
		)
		screenshot(t, tab, "02-request-form")
		checkLabels(t, tab, "request form")
		run(t, tab,
			chromedp.Click("#submit-request", chromedp.ByQuery),
			until(`(() => { const e = document.querySelector('[data-field="profiles[0].startDate"] > .field-error'); return e && !e.hidden; })()`),
		)
		message := text(t, tab, `document.querySelector('[data-field="profiles[0].startDate"] > .field-error').textContent`)
		if !strings.HasPrefix(message, "Must not be in the past (today is ") {
			t.Errorf("field error by the start date = %q, want the API's reason", message)
		}
		if n := number(t, tab, `[...document.querySelectorAll('.field-error')].filter(e => !e.hidden).length`); n != 1 {
			t.Errorf("%d field errors shown, want exactly the start date's", n)
		}
		if got := text(t, tab, `document.querySelector('#request-form .problem h3').textContent`); got != "The request has invalid fields" {
			t.Errorf("problem summary = %q", got)
		}
		if got := text(t, tab, `document.querySelector('input[name="profiles[0].startDate"]').getAttribute('aria-invalid') || ''`); got != "true" {
			t.Errorf("the start date is not marked invalid for assistive technology (aria-invalid %q)", got)
		}
		screenshot(t, tab, "03-request-field-error")
		page, err := s.store.ListActivations(context.Background(), store.ActivationQuery{Limit: 100})
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("a refused request stored something: %v %v", page.Items, err)
		}

		start := time.Now().AddDate(0, 0, 14).Format("2006-01-02")
		run(t, tab,
			chromedp.SetValue(`input[name="profiles[0].startDate"]`, start, chromedp.ByQuery),
			chromedp.Click("#submit-request", chromedp.ByQuery),
			until(`/^#\/activations\/act-/.test(window.location.hash)`),
			chromedp.WaitVisible("#activation-status", chromedp.ByQuery),
		)
		activationID = strings.TrimPrefix(text(t, tab, `window.location.hash`), "#/activations/")
		// The page polls while the workflow runs: Mombasa is level 3, so security must clear it.
		run(t, tab, until(`document.querySelector('#activation-status').textContent === 'Awaiting approval'`))
		stored := s.awaitStatus(activationID, domain.StatusAwaitingApproval)
		if stored.Office != "KE" || stored.RequestedBy != "office-ke" || stored.Amount.Value != 2_000_000 || stored.DutyStation != "Mombasa" {
			t.Errorf("stored activation = office %s by %s, %d %s at %s", stored.Office, stored.RequestedBy, stored.Amount.Value, stored.Amount.Currency, stored.DutyStation)
		}
		if n := number(t, tab, `document.querySelectorAll('#steps tbody tr').length`); n < 3 {
			t.Errorf("%d steps shown, want request, assess, clearance and more", n)
		}
		if n := number(t, tab, `document.querySelectorAll('#cancel-activation').length`); n != 1 {
			t.Errorf("the requesting office sees %d cancel buttons, want 1", n)
		}
		screenshot(t, tab, "04-activation-awaiting-approval")
		run(t, tab,
			chromedp.Click(`#nav a[href="#/activations"]`, chromedp.ByQuery),
			until(fmt.Sprintf(`!!document.querySelector('#activation-list tr[data-activation=%q]')`, activationID)),
		)
		if got := text(t, tab, fmt.Sprintf(`document.querySelector('#activation-list tr[data-activation=%q] .badge').textContent`, activationID)); got != "Awaiting approval" {
			t.Errorf("list shows status %q", got)
		}
		screenshot(t, tab, "05-activations")
	})
	if activationID == "" {
		t.Fatal("no activation to go on with")
	}

	t.Run("approver approves from the inbox", func(t *testing.T) {
		tab := newTab(t, browser)
		signIn(t, s, tab, "security-1")
		card := fmt.Sprintf(`#task-list li[data-activation=%q]`, activationID)
		run(t, tab, chromedp.WaitVisible(card+" button.decide", chromedp.ByQuery))
		if left := text(t, tab, `document.querySelector('`+card+` .time-left').textContent`); !strings.Contains(left, "left") {
			t.Errorf("time left = %q", left)
		}
		screenshot(t, tab, "06-inbox")
		run(t, tab,
			chromedp.Click(card+" button.decide", chromedp.ByQuery),
			chromedp.WaitVisible("#decide-dialog", chromedp.ByQuery),
			chromedp.Click(`#decide-dialog input[value="approve"]`, chromedp.ByQuery),
			chromedp.SendKeys(`#decide-dialog textarea[name="comment"]`, "Cleared: level 3, advanced training on file.", chromedp.ByQuery),
		)
		screenshot(t, tab, "07-decide-dialog")
		checkLabels(t, tab, "inbox with the decision dialog")
		run(t, tab,
			chromedp.Click("#send-decision", chromedp.ByQuery),
			until(`!document.querySelector('#decide-dialog').open`),
			until(`!document.querySelector('`+card+`')`),
		)
		screenshot(t, tab, "08-inbox-after-decision")
		// The decided task, filtered by its status, says what was decided in words.
		run(t, tab,
			chromedp.SetValue(`form.filters select[name="status"]`, "DECIDED", chromedp.ByQuery),
			chromedp.Click(`form.filters button[type="submit"]`, chromedp.ByQuery),
			chromedp.WaitVisible(card, chromedp.ByQuery),
		)
		decision := text(t, tab, `[...document.querySelectorAll('`+card+` dt')].find((dt) => dt.textContent === 'Decision').nextElementSibling.textContent`)
		if !strings.HasPrefix(decision, "Approved by security-1, ") {
			t.Errorf("the decided task says %q, want it to begin with %q", decision, "Approved by security-1, ")
		}
		tasks, err := s.store.TasksOfActivation(context.Background(), activationID)
		if err != nil || len(tasks) != 1 {
			t.Fatalf("tasks %v, %v", tasks, err)
		}
		if d := tasks[0].Decision; tasks[0].Status != domain.TaskDecided || d == nil || d.ActorID != "security-1" || d.Outcome != domain.Approve ||
			d.Comment != "Cleared: level 3, advanced training on file." {
			t.Errorf("task after the decision: %+v", tasks[0])
		}
		s.awaitStatus(activationID, domain.StatusActive)
	})

	t.Run("auditor reads the history and has no write button", func(t *testing.T) {
		// Another activation waits for security, so that the auditor's inbox has an open task.
		waiting := s.requestActivation("office-ht", request("HT", "Port-au-Prince", 1_000_000), domain.StatusAwaitingApproval)
		tab := newTab(t, browser)
		signIn(t, s, tab, "auditor-1")
		run(t, tab, chromedp.WaitVisible("#audit-results tbody tr", chromedp.ByQuery))
		screenshot(t, tab, "09-audit")
		checkLabels(t, tab, "audit search")
		// The export is fetched with the token and handed to the browser as a file.
		run(t, tab,
			chromedp.Click("#export-csv", chromedp.ByQuery),
			until(`/^Saved audit-\d{8}T\d{6}Z\.csv \([\d,]+ bytes\)\.$/.test(document.querySelector('#export-status').textContent)`),
			chromedp.Click("#export-jsonl", chromedp.ByQuery),
			until(`/^Saved audit-\d{8}T\d{6}Z\.jsonl /.test(document.querySelector('#export-status').textContent)`),
		)
		run(t, tab,
			chromedp.Navigate(s.url+"/console/#/activations/"+activationID),
			until(`document.querySelector('#activation-status') && document.querySelector('#activation-status').textContent === 'Active'`),
			until(`!!document.querySelector('#history li[data-type="task.decided"]')`),
		)
		decided := `document.querySelector('#history li[data-type="task.decided"]')`
		if actor := text(t, tab, decided+`.querySelector('.event-actor b').textContent`); actor != "security-1" {
			t.Errorf("decision's actor in the history = %q", actor)
		}
		if when := text(t, tab, decided+`.querySelector('time').getAttribute('datetime')`); !strings.HasPrefix(when, time.Now().UTC().Format("2006-01-02")) {
			t.Errorf("decision's time in the history = %q", when)
		}
		if actor := text(t, tab, `document.querySelector('#history li[data-type="activation.requested"] .event-actor b').textContent`); actor != "office-ke" {
			t.Errorf("request's actor in the history = %q", actor)
		}
		if n := number(t, tab, `document.querySelectorAll('#history li.source-workflow').length`); n == 0 {
			t.Error("no workflow event in the history")
		}
		steps := number(t, tab, `[...document.querySelectorAll('#steps tbody tr')].filter(r => r.querySelector('time[datetime]')).length`)
		names := text(t, tab, `[...document.querySelectorAll('#steps tbody tr')].map(r => r.dataset.step).join(',')`)
		if steps < 6 || !strings.Contains(names, "activate") {
			t.Errorf("steps with a time: %d (%s)", steps, names)
		}
		if deployed := text(t, tab, `document.querySelector('#profiles tbody tr td:nth-child(6)').textContent`); deployed == "" || deployed == "not yet" {
			t.Errorf("deployed expert = %q", deployed)
		}
		noWrites := `document.querySelectorAll('#cancel-activation, button.decide, button.danger, a[href="#/activations/new"]').length`
		if n := number(t, tab, noWrites); n != 0 {
			t.Errorf("the auditor sees %d write controls on the activation", n)
		}
		screenshotView(t, tab, "10-activation-active")
		run(t, tab, chromedp.ScrollIntoView("#history-heading", chromedp.ByQuery))
		screenshotView(t, tab, "10-history")
		run(t, tab,
			chromedp.Click(`#nav a[href="#/inbox"]`, chromedp.ByQuery),
			chromedp.WaitVisible(fmt.Sprintf(`#task-list li[data-activation=%q]`, waiting.ID), chromedp.ByQuery),
		)
		if n := number(t, tab, noWrites); n != 0 {
			t.Errorf("the auditor sees %d write controls in the inbox", n)
		}
		screenshot(t, tab, "11-auditor-inbox")
	})

	t.Run("admin sees the fund and the roster", func(t *testing.T) {
		tab := newTab(t, browser)
		signIn(t, s, tab, "admin-1")
		run(t, tab,
			chromedp.Navigate(s.url+"/console/#/fund"),
			until(`[...document.querySelectorAll('#ledger tbody tr')].some(r => r.textContent.includes(`+jsString(activationID)+`))`),
		)
		// 2,000,000.00 seeded, 20,000.00 released to the activation, 10,000.00 reserved for the other.
		if got := text(t, tab, `document.querySelector('section[aria-label="Fund in USD"] .big').textContent`); got != "1,970,000.00 USD" {
			t.Errorf("available = %q", got)
		}
		screenshot(t, tab, "12-fund")
		run(t, tab,
			chromedp.Click(`#nav a[href="#/roster"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`#roster tr[data-expert="staff-01"]`, chromedp.ByQuery),
		)
		if n := number(t, tab, `document.querySelectorAll('#roster tbody tr').length`); n < 30 {
			t.Errorf("roster shows %d experts", n)
		}
		screenshot(t, tab, "13-roster")
		run(t, tab,
			chromedp.Click(`#nav a[href="#/metrics"]`, chromedp.ByQuery),
			chromedp.WaitVisible("#approval-share", chromedp.ByQuery),
		)
		// One approval, decided in time; two activations (this one and the one waiting).
		if got := text(t, tab, `document.querySelector('#approval-share').textContent + ' / ' + document.querySelector('section[aria-label="Activations"] .big').textContent`); got != "100 % / 2" {
			t.Errorf("metrics show %q", got)
		}
		screenshotView(t, tab, "13-metrics")
	})
}

// TestConsoleCancel: the requesting office cancels from the activation's page; compensation
// runs and the page follows it to CANCELLED.
func TestConsoleCancel(t *testing.T) {
	s := newStack(t)
	waiting := s.requestActivation("office-ht", request("HT", "Port-au-Prince", 1_000_000), domain.StatusAwaitingApproval)
	tab := newTab(t, newBrowser(t))
	signIn(t, s, tab, "office-ht")
	run(t, tab,
		chromedp.Navigate(s.url+"/console/#/activations/"+waiting.ID),
		chromedp.WaitVisible("#cancel-activation", chromedp.ByQuery),
		chromedp.Click("#cancel-activation", chromedp.ByQuery),
		chromedp.WaitVisible("#cancel-dialog", chromedp.ByQuery),
		chromedp.SendKeys(`#cancel-dialog textarea[name="reason"]`, "The government withdrew its request.", chromedp.ByQuery),
	)
	screenshotView(t, tab, "15-cancel-dialog")
	run(t, tab,
		chromedp.Click(`#cancel-dialog button[type="submit"]`, chromedp.ByQuery),
		until(`!document.querySelector('#cancel-dialog').open`),
		until(`document.querySelector('#activation-status').textContent === 'Cancelled'`),
	)
	if n := number(t, tab, `document.querySelectorAll('#cancel-activation').length`); n != 0 {
		t.Errorf("a cancelled activation still offers %d cancel buttons", n)
	}
	cancelled := s.awaitStatus(waiting.ID, domain.StatusCancelled)
	if !cancelled.CancelRequested {
		t.Errorf("activation %+v", cancelled)
	}
	screenshotView(t, tab, "16-cancelled")
}

// TestConsoleShowsRefusal: a Kenya-based security officer may not clear Kenya's request; the
// API's 403 problem is shown in the decision dialog and nothing is decided.
func TestConsoleShowsRefusal(t *testing.T) {
	s := newStack(t)
	waiting := s.requestActivation("office-ke", request("KE", "Mombasa", 1_000_000), domain.StatusAwaitingApproval)
	tab := newTab(t, newBrowser(t))
	signIn(t, s, tab, "security-2")
	card := fmt.Sprintf(`#task-list li[data-activation=%q]`, waiting.ID)
	run(t, tab,
		chromedp.WaitVisible(card+" button.decide", chromedp.ByQuery),
		chromedp.Click(card+" button.decide", chromedp.ByQuery),
		chromedp.WaitVisible("#decide-dialog", chromedp.ByQuery),
		// No decision chosen first: the API names the field.
		chromedp.Click("#send-decision", chromedp.ByQuery),
		until(`(() => { const e = document.querySelector('#decide-dialog [data-field="decision"] > .field-error'); return e && !e.hidden; })()`),
	)
	if got := text(t, tab, `document.querySelector('#decide-dialog [data-field="decision"] > .field-error').textContent`); !strings.Contains(got, "approve") {
		t.Errorf("decision field error = %q", got)
	}
	run(t, tab,
		chromedp.Click(`#decide-dialog input[value="approve"]`, chromedp.ByQuery),
		chromedp.Click("#send-decision", chromedp.ByQuery),
		until(`document.querySelector('#decide-dialog .problem h3')?.textContent === 'This action is not allowed for the caller'`),
	)
	screenshot(t, tab, "14-refusal")
	task, err := s.store.TasksOfActivation(context.Background(), waiting.ID)
	if err != nil || len(task) != 1 || task[0].Status != domain.TaskOpen {
		t.Fatalf("the refused decision changed the task: %+v %v", task, err)
	}
	if detail := text(t, tab, `document.querySelector('#decide-dialog .problem').textContent`); detail == "" {
		t.Error("the refusal has no detail")
	}
}

// TestConsoleSignInWithPastedToken: the sign-in for a deployed system takes a pasted ID token,
// and a token the API refuses brings the user back to the sign-in screen.
func TestConsoleSignInWithPastedToken(t *testing.T) {
	s := newStack(t)
	tab := newTab(t, newBrowser(t))
	run(t, tab,
		chromedp.Navigate(s.url+"/console/"),
		chromedp.WaitVisible(`textarea[name="token"]`, chromedp.ByQuery),
	)
	screenshotView(t, tab, "00-sign-in")
	checkLabels(t, tab, "sign-in")
	run(t, tab,
		chromedp.SendKeys(`textarea[name="token"]`, "not-a-token", chromedp.ByQuery),
		chromedp.Click(`#paste-heading ~ .actions button[type="submit"], form[aria-labelledby="paste-heading"] button[type="submit"]`, chromedp.ByQuery),
		until(`(() => { const e = document.querySelector('[data-field="token"] > .field-error'); return e && !e.hidden; })()`),
		chromedp.SetValue(`textarea[name="token"]`, s.token("finance-1"), chromedp.ByQuery),
		chromedp.Click(`form[aria-labelledby="paste-heading"] button[type="submit"]`, chromedp.ByQuery),
		until(`window.location.hash === '#/inbox'`),
		chromedp.WaitVisible("#task-list", chromedp.ByQuery),
	)
	if who := text(t, tab, `document.querySelector('.who-roles').textContent`); who != "Finance · HQ" {
		t.Errorf("signed in as %q", who)
	}
	// Finance may read the fund but not the audit trail: the navigation follows the policy table.
	if got := text(t, tab, `[...document.querySelectorAll('#nav a')].map(a => a.getAttribute('href')).join(' ')`); got != "#/activations #/inbox #/fund #/access" {
		t.Errorf("finance's navigation = %q", got)
	}
	// On a phone's width the pages reflow: nothing but the tables' own scrolling boxes is wider
	// than the screen.
	for view, loaded := range map[string]string{"#/fund": ".balance", "#/inbox": "#task-list li", "#/access": "#grants"} {
		run(t, tab,
			chromedp.EmulateViewport(390, 844),
			chromedp.Navigate(s.url+"/console/"+view),
			chromedp.WaitVisible(loaded, chromedp.ByQuery),
		)
		if overflow := number(t, tab, `document.documentElement.scrollWidth - window.innerWidth`); overflow > 0 {
			t.Errorf("%s is %d px wider than a 390 px screen", view, overflow)
		}
		screenshotView(t, tab, "17-narrow-"+strings.TrimPrefix(view, "#/"))
	}
	run(t, tab, chromedp.EmulateViewport(1280, 900))
	// A token signed by another key: the API answers 401 and the console signs out.
	forged := s.token("finance-1")
	forged = forged[:len(forged)-4] + "AAAA"
	run(t, tab,
		chromedp.Evaluate(`sessionStorage.setItem('fasttrack.token', `+jsString(forged)+`); window.location.hash = '#/activations'`, nil),
		until(`window.location.hash === '#/sign-in' && !!document.querySelector('textarea[name="token"]')`),
	)
	var status int
	req, _ := http.NewRequest(http.MethodGet, s.url+"/activations", nil)
	req.Header.Set("Authorization", "Bearer "+forged)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		status = resp.StatusCode
		resp.Body.Close()
	}
	if status != http.StatusUnauthorized {
		t.Errorf("the forged token got %d from the API", status)
	}
}

// TestConsoleFormatting checks the money and amount helpers in the browser itself.
func TestConsoleFormatting(t *testing.T) {
	handler := newStaticServer(t)
	tab := newTab(t, newBrowser(t))
	var results []string
	run(t, tab,
		chromedp.Navigate(handler+"/console/"),
		chromedp.WaitVisible(`textarea[name="token"]`, chromedp.ByQuery),
		chromedp.Evaluate(`import('./lib/dom.js').then(m => [
			m.money(12000000, 'USD'), m.money(-5, 'EUR'), m.money(1500, 'JPY'), m.money(1234567, 'KWD'),
			String(m.toMinorUnits('120,000.50', 'USD')), String(m.toMinorUnits('1.234', 'USD')), String(m.toMinorUnits('12x', 'USD')),
			String(m.toMinorUnits('7', 'JPY')), m.humanize('senior-management'), m.timeLeft(3725), m.timeLeft(-90000),
		])`, &results, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
	)
	want := []string{"120,000.00 USD", "-0.05 EUR", "1,500 JPY", "1,234.567 KWD", "12000050", "null", "null", "7",
		"Senior management", "1 h 2 min left", "overdue by 1 d 1 h"}
	if strings.Join(results, "|") != strings.Join(want, "|") {
		t.Errorf("helpers gave\n%q\nwant\n%q", results, want)
	}
}
