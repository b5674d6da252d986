package console_test

// Browser tests of the write actions of administrators and approvers: each action once with
// success, checked through the API, and once refused or with invalid input, the API's error
// shown by its field and nothing changed.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// fieldError is the text of the error shown next to a form's field (empty when hidden).
func fieldError(form, path string) string {
	return `(() => { const e = document.querySelector('` + form + ` [data-field="` + path + `"] > .field-error'); return e && !e.hidden ? e.textContent : ''; })()`
}

// act runs actions in the tab; when one fails, the test fails with the problems the page shows
// (the API's refusals in the forms), which say why far better than a timeout.
func act(t *testing.T, tab context.Context, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(tab, actions...); err != nil {
		var shown string
		_ = chromedp.Run(tab, chromedp.Evaluate(`[...document.querySelectorAll('.problem:not([hidden]), .field-error:not([hidden])')].map(e => e.textContent).join(' | ')`, &shown))
		t.Fatalf("%v; the page shows: %s", err, shown)
	}
}

// emptyField empties a text control.
func emptyField(selector string) chromedp.Action {
	return chromedp.Evaluate(`document.querySelector(`+jsString(selector)+`).value = ''`, nil)
}

// usdAvailable reads the fund's available US dollars through the API.
func (s *stack) usdAvailable() int64 {
	s.t.Helper()
	var fund struct {
		Balances []domain.FundBalance `json:"balances"`
		Ledger   []domain.LedgerEntry `json:"ledger"`
	}
	if code := s.call("admin-1", http.MethodGet, "/fund?currency=USD", nil, &fund); code != http.StatusOK || len(fund.Balances) != 1 {
		s.t.Fatalf("GET /fund: %d %+v", code, fund)
	}
	return fund.Balances[0].Available
}

// TestConsoleFundContribution: an administrator adds a donor contribution; the balance goes up
// by the amount (through the API) and the ledger shown has the entry. An amount that is not one
// is refused by the API, shown by its field, and adds nothing. Finance reads the fund and gets
// no form.
func TestConsoleFundContribution(t *testing.T) {
	s := newStack(t)
	browser := newBrowser(t)
	before := s.usdAvailable()

	tab := newTab(t, browser)
	signIn(t, s, tab, "admin-1")
	act(t, tab,
		chromedp.Navigate(s.url+"/console/#/fund"),
		chromedp.WaitVisible("#contribution-form", chromedp.ByQuery),
		chromedp.WaitVisible(`section[aria-label="Fund in USD"]`, chromedp.ByQuery),
		// Invalid first: a negative amount and no donor.
		chromedp.SendKeys(`#contribution-form input[name="amount.value"]`, "-5", chromedp.ByQuery),
		chromedp.Click("#add-contribution", chromedp.ByQuery),
		until(fieldError("#contribution-form", "amount.value")+` !== ''`),
	)
	if got := text(t, tab, fieldError("#contribution-form", "amount.value")); !strings.Contains(got, "ust be positive") {
		t.Errorf("amount error = %q", got)
	}
	if got := text(t, tab, fieldError("#contribution-form", "donor")); !strings.Contains(got, "required") {
		t.Errorf("donor error = %q", got)
	}
	if after := s.usdAvailable(); after != before {
		t.Fatalf("a refused contribution changed the balance from %d to %d", before, after)
	}
	screenshot(t, tab, "20-contribution-refused")
	checkLabels(t, tab, "fund with the contribution form")

	act(t, tab,
		emptyField(`#contribution-form input[name="amount.value"]`),
		chromedp.SendKeys(`#contribution-form input[name="amount.value"]`, "250,000.50", chromedp.ByQuery),
		chromedp.SendKeys(`#contribution-form input[name="donor"]`, "Government of Norway", chromedp.ByQuery),
		chromedp.SendKeys(`#contribution-form input[name="reference"]`, "Agreement 2026-14", chromedp.ByQuery),
		chromedp.Click("#add-contribution", chromedp.ByQuery),
		until(`document.querySelector('#contribution-status').textContent.startsWith('Added 250,000.50 USD')`),
		until(`[...document.querySelectorAll('#ledger tbody tr')].some(r => r.textContent.includes('Government of Norway: Agreement 2026-14'))`),
	)
	if after := s.usdAvailable(); after != before+25_000_050 {
		t.Errorf("available went from %d to %d, want +25000050", before, after)
	}
	if errors := number(t, tab, `[...document.querySelectorAll('#contribution-form .field-error')].filter(e => !e.hidden).length`); errors != 0 {
		t.Errorf("%d field errors still shown after the success", errors)
	}
	want := "2,250,000.50 USD"
	if got := text(t, tab, `document.querySelector('section[aria-label="Fund in USD"] .big').textContent`); got != want {
		t.Errorf("available shown = %q, want %q", got, want)
	}
	screenshot(t, tab, "21-contribution-added")

	finance := newTab(t, browser)
	signIn(t, s, finance, "finance-1")
	act(t, finance,
		chromedp.Navigate(s.url+"/console/#/fund"),
		chromedp.WaitVisible(`section[aria-label="Fund in USD"]`, chromedp.ByQuery),
	)
	if n := number(t, finance, `document.querySelectorAll('#contribution-form').length`); n != 0 {
		t.Errorf("finance is offered the contribution form")
	}
}

// expert reads one expert through the API (GET /experts, every page).
func (s *stack) expert(id string) (domain.Expert, bool) {
	s.t.Helper()
	cursor := ""
	for range 100 {
		var page struct {
			Items []domain.Expert `json:"items"`
			Next  string          `json:"next"`
		}
		path := "/experts?limit=100"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if code := s.call("admin-1", http.MethodGet, path, nil, &page); code != http.StatusOK {
			s.t.Fatalf("GET /experts: %d", code)
		}
		for _, e := range page.Items {
			if e.ID == id {
				return e, true
			}
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	return domain.Expert{}, false
}

// policy reads one insurance policy from the store (the API has no read of policies).
func (s *stack) policy(expertID, policyID string) (domain.InsurancePolicy, bool) {
	s.t.Helper()
	policies, err := s.store.Policies(context.Background(), expertID)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, p := range policies {
		if p.ID == policyID {
			return p, true
		}
	}
	return domain.InsurancePolicy{}, false
}

// TestConsoleRoster: an administrator changes an expert (a bad language code first, refused by
// its field and nothing changed), adds and replaces an insurance policy (a period that ends
// before it starts first) and sees it among the expert's policies, adds a new expert (an id the
// API refuses first, and an id that is taken, which the API refuses with 412 on the id field and
// does not overwrite), and loses no change made by someone else meanwhile (412). An auditor
// reads the roster and an expert's cover with no write button.
func TestConsoleRoster(t *testing.T) {
	s := newStack(t)
	browser := newBrowser(t)
	original, ok := s.expert("staff-02")
	if !ok {
		t.Fatal("no staff-02 in the seed")
	}
	tab := newTab(t, browser)
	signIn(t, s, tab, "admin-1")
	row := `#roster tr[data-expert="staff-02"]`
	dialogError := func(path string) string { return fieldError("#expert-form", path) }

	t.Run("change an expert", func(t *testing.T) {
		act(t, tab,
			chromedp.Navigate(s.url+"/console/#/roster"),
			chromedp.WaitVisible(row+" button.edit-expert", chromedp.ByQuery),
			chromedp.Click(row+" button.edit-expert", chromedp.ByQuery),
			chromedp.WaitVisible("#expert-dialog", chromedp.ByQuery),
			until(`document.querySelector('#expert-form input[name="name"]').value === `+jsString(original.Name)),
			emptyField(`#expert-form input[name="languages"]`),
			chromedp.SendKeys(`#expert-form input[name="languages"]`, "en, french", chromedp.ByQuery),
			chromedp.Click("#save-expert", chromedp.ByQuery),
			until(dialogError("languages")+` !== ''`),
		)
		if got := text(t, tab, dialogError("languages")); !strings.Contains(got, "languages[1]") || !strings.Contains(got, "ISO 639-1") {
			t.Errorf("languages error = %q", got)
		}
		screenshot(t, tab, "22-expert-refused")
		checkLabels(t, tab, "roster with the expert dialog")
		if after, _ := s.expert("staff-02"); after.Name != original.Name || strings.Join(after.Languages, ",") != strings.Join(original.Languages, ",") {
			t.Fatalf("a refused change changed the expert: %+v", after)
		}
		act(t, tab,
			emptyField(`#expert-form input[name="languages"]`),
			chromedp.SendKeys(`#expert-form input[name="languages"]`, "en, fr, pt", chromedp.ByQuery),
			emptyField(`#expert-form input[name="name"]`),
			chromedp.SendKeys(`#expert-form input[name="name"]`, "Jean-Baptiste Pierre-Louis", chromedp.ByQuery),
			chromedp.Click("#save-expert", chromedp.ByQuery),
			until(`!document.querySelector('#expert-dialog').open`),
			until(`document.querySelector('#roster-status').textContent === 'Jean-Baptiste Pierre-Louis (staff-02) changed.'`),
			until(`document.querySelector('`+row+` td:nth-child(2)').textContent === 'Jean-Baptiste Pierre-Louis'`),
		)
		after, _ := s.expert("staff-02")
		if after.Name != "Jean-Baptiste Pierre-Louis" || strings.Join(after.Languages, ",") != "en,fr,pt" ||
			after.Employment != original.Employment || strings.Join(areaCodes(after.Areas), ",") != strings.Join(areaCodes(original.Areas), ",") ||
			after.Training != original.Training || after.HomeOffice != original.HomeOffice {
			t.Errorf("expert after the change %+v, before %+v", after, original)
		}
	})

	t.Run("add and replace an insurance policy", func(t *testing.T) {
		policyError := func(path string) string { return fieldError("#policy-form", path) }
		act(t, tab,
			chromedp.Click(row+" button.add-policy", chromedp.ByQuery),
			chromedp.WaitVisible("#policy-dialog", chromedp.ByQuery),
			chromedp.SendKeys(`#policy-form input[name="policyId"]`, "evac-2026", chromedp.ByQuery),
			chromedp.SetValue(`#policy-form select[name="kind"]`, "evacuation", chromedp.ByQuery),
			chromedp.SendKeys(`#policy-form input[name="insurer"]`, "Global Evac Ltd", chromedp.ByQuery),
			chromedp.SetValue(`#policy-form input[name="validFrom"]`, "2026-06-01", chromedp.ByQuery),
			chromedp.SetValue(`#policy-form input[name="validTo"]`, "2026-05-01", chromedp.ByQuery),
			chromedp.Click("#save-policy", chromedp.ByQuery),
			until(policyError("validTo")+` !== ''`),
		)
		if got := text(t, tab, policyError("validTo")); !strings.Contains(got, "before validFrom") {
			t.Errorf("validTo error = %q", got)
		}
		if _, found := s.policy("staff-02", "evac-2026"); found {
			t.Fatal("a refused policy was stored")
		}
		checkLabels(t, tab, "roster with the policy dialog")
		act(t, tab,
			chromedp.SetValue(`#policy-form input[name="validTo"]`, "2027-05-31", chromedp.ByQuery),
			chromedp.Click("#save-policy", chromedp.ByQuery),
			until(`!document.querySelector('#policy-dialog').open`),
			until(`document.querySelector('#roster-status').textContent.startsWith('Evacuation policy evac-2026 of Jean-Baptiste Pierre-Louis added')`),
		)
		stored, found := s.policy("staff-02", "evac-2026")
		if !found || stored.Kind != domain.CoverEvacuation || stored.Insurer != "Global Evac Ltd" || stored.ValidFrom != "2026-06-01" || stored.ValidTo != "2027-05-31" {
			t.Errorf("stored policy %+v (found %v)", stored, found)
		}
		act(t, tab,
			chromedp.Click(row+" button.add-policy", chromedp.ByQuery),
			chromedp.WaitVisible("#policy-dialog", chromedp.ByQuery),
			chromedp.SendKeys(`#policy-form input[name="policyId"]`, "evac-2026", chromedp.ByQuery),
			chromedp.SetValue(`#policy-form select[name="kind"]`, "evacuation", chromedp.ByQuery),
			chromedp.SetValue(`#policy-form input[name="validFrom"]`, "2026-06-01", chromedp.ByQuery),
			chromedp.SetValue(`#policy-form input[name="validTo"]`, "2028-05-31", chromedp.ByQuery),
			chromedp.Click("#save-policy", chromedp.ByQuery),
			until(`document.querySelector('#roster-status').textContent.includes('evac-2026 of Jean-Baptiste Pierre-Louis replaced')`),
		)
		if stored, _ := s.policy("staff-02", "evac-2026"); stored.ValidTo != "2028-05-31" {
			t.Errorf("replaced policy %+v", stored)
		}
		// The expert's details list the policy with the seeded ones, each in force today.
		policyRow := `#expert-policies tr[data-policy="evac-2026"]`
		act(t, tab,
			chromedp.Click(row+" button.show-expert", chromedp.ByQuery),
			chromedp.WaitVisible("#expert-details", chromedp.ByQuery),
			until(`document.querySelector('`+policyRow+`') !== null`),
		)
		if got := text(t, tab, `[...document.querySelectorAll('`+policyRow+` td')].map(td => td.textContent).join('|')`); got != "evac-2026|Evacuation|—|2026-06-01|2028-05-31|Yes" {
			t.Errorf("policy row = %q", got)
		}
		if n := number(t, tab, `document.querySelectorAll('#expert-policies tbody tr[data-policy]').length`); n != 4 {
			t.Errorf("%d policies shown, want the 3 seeded and evac-2026", n)
		}
		if got := text(t, tab, `document.querySelector('#expert-uncovered').textContent`); got != "Every kind of cover is in force today." {
			t.Errorf("uncovered = %q", got)
		}
		checkLabels(t, tab, "roster with an expert's details")
		screenshot(t, tab, "22-expert-details")
		act(t, tab,
			chromedp.Click(`#expert-details .actions button`, chromedp.ByQuery),
			until(`!document.querySelector('#expert-details').open`),
		)
	})

	t.Run("add an expert", func(t *testing.T) {
		act(t, tab,
			chromedp.Click("#add-expert", chromedp.ByQuery),
			chromedp.WaitVisible("#expert-dialog", chromedp.ByQuery),
			chromedp.SendKeys(`#expert-form input[name="id"]`, "consultant 99", chromedp.ByQuery),
			chromedp.SendKeys(`#expert-form input[name="name"]`, "Rose-Marie Désir", chromedp.ByQuery),
			chromedp.SetValue(`#expert-form select[name="employment"]`, "consultant", chromedp.ByQuery),
			chromedp.Click(`#expert-form input[name="areas"][value="needs_assessment"]`, chromedp.ByQuery),
			chromedp.SendKeys(`#expert-form input[name="languages"]`, "fr, ht", chromedp.ByQuery),
			chromedp.SetValue(`#expert-form select[name="training.level"]`, "basic", chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector('#expert-form select[name="training.level"]').dispatchEvent(new Event('change'))`, nil),
			chromedp.SetValue(`#expert-form input[name="training.expires"]`, "2027-12-31", chromedp.ByQuery),
			chromedp.SendKeys(`#expert-form input[name="homeOffice"]`, "ht", chromedp.ByQuery),
			chromedp.Click("#save-expert", chromedp.ByQuery),
			until(dialogError("id")+` !== ''`),
		)
		if got := text(t, tab, dialogError("id")); !strings.Contains(got, "letters, digits") {
			t.Errorf("id error = %q", got)
		}
		// An id that is taken: the API refuses it (If-None-Match: *, 412) on the id field.
		act(t, tab,
			emptyField(`#expert-form input[name="id"]`),
			chromedp.SendKeys(`#expert-form input[name="id"]`, "staff-02", chromedp.ByQuery),
			chromedp.Click("#save-expert", chromedp.ByQuery),
			until(dialogError("id")+`.includes('taken')`),
		)
		if got := text(t, tab, dialogError("id")); !strings.Contains(got, "choose another id") {
			t.Errorf("taken id error = %q", got)
		}
		if after, _ := s.expert("staff-02"); after.Name != "Jean-Baptiste Pierre-Louis" {
			t.Fatalf("adding a taken id changed that expert: %+v", after)
		}
		act(t, tab,
			emptyField(`#expert-form input[name="id"]`),
			chromedp.SendKeys(`#expert-form input[name="id"]`, "consultant-99", chromedp.ByQuery),
			chromedp.Click("#save-expert", chromedp.ByQuery),
			until(`!document.querySelector('#expert-dialog').open`),
			until(`document.querySelector('#roster-status').textContent === 'Rose-Marie Désir (consultant-99) added to the roster.'`),
		)
		added, found := s.expert("consultant-99")
		if !found || added.Employment != domain.Consultant || strings.Join(added.Languages, ",") != "fr,ht" || added.HomeOffice != "HT" ||
			added.Training.Level != domain.TrainingBasic || added.Training.Expires != "2027-12-31" || len(added.Areas) != 1 || added.Areas[0] != "needs_assessment" {
			t.Errorf("added expert %+v (found %v)", added, found)
		}
		screenshot(t, tab, "23-roster-admin")
	})

	t.Run("a change made meanwhile is not overwritten", func(t *testing.T) {
		act(t, tab,
			chromedp.Click(row+" button.edit-expert", chromedp.ByQuery),
			chromedp.WaitVisible("#expert-dialog", chromedp.ByQuery),
			until(`document.querySelector('#expert-form input[name="name"]').value === 'Jean-Baptiste Pierre-Louis'`),
		)
		// Someone else changes the expert while the dialog is open.
		current, _ := s.expert("staff-02")
		elsewhere := map[string]any{"name": "Changed Elsewhere", "employment": current.Employment, "areas": current.Areas,
			"languages": current.Languages, "training": current.Training, "homeOffice": current.HomeOffice}
		if code := s.call("admin-1", http.MethodPut, "/experts/staff-02", elsewhere, nil); code != http.StatusOK {
			t.Fatalf("change behind the console: %d", code)
		}
		act(t, tab,
			emptyField(`#expert-form input[name="languages"]`),
			chromedp.SendKeys(`#expert-form input[name="languages"]`, "en", chromedp.ByQuery),
			chromedp.Click("#save-expert", chromedp.ByQuery),
			until(`document.querySelector('#expert-form .problem').textContent.includes('changed meanwhile')`),
		)
		if after, _ := s.expert("staff-02"); after.Name != "Changed Elsewhere" || len(after.Languages) != len(current.Languages) {
			t.Fatalf("the console overwrote a change made meanwhile: %+v", after)
		}
		act(t, tab,
			chromedp.Click(`#expert-form .actions button[type="button"]`, chromedp.ByQuery),
			until(`!document.querySelector('#expert-dialog').open`),
		)
	})

	t.Run("auditor reads without buttons", func(t *testing.T) {
		auditor := newTab(t, browser)
		signIn(t, s, auditor, "auditor-1")
		act(t, auditor,
			chromedp.Navigate(s.url+"/console/#/roster"),
			chromedp.WaitVisible(row, chromedp.ByQuery),
		)
		if n := number(t, auditor, `document.querySelectorAll('#add-expert, button.edit-expert, button.add-policy, #expert-dialog, #policy-dialog').length`); n != 0 {
			t.Errorf("the auditor sees %d roster write controls", n)
		}
		// consultant-01 holds no malicious acts cover in the seed.
		act(t, auditor,
			chromedp.Click(`#roster tr[data-expert="consultant-01"] button.show-expert`, chromedp.ByQuery),
			chromedp.WaitVisible("#expert-details", chromedp.ByQuery),
			until(`document.querySelector('#expert-uncovered').textContent !== ''`),
		)
		if got := text(t, auditor, `document.querySelector('#expert-uncovered').textContent`); got != "Not covered today: Malicious acts." {
			t.Errorf("auditor sees uncovered = %q", got)
		}
		if n := number(t, auditor, `document.querySelectorAll('#expert-policies tbody tr[data-policy]').length`); n != 2 {
			t.Errorf("auditor sees %d policies of consultant-01, want 2", n)
		}
	})
}

func areaCodes(areas []domain.Area) []string {
	out := make([]string, len(areas))
	for i, a := range areas {
		out[i] = string(a)
	}
	return out
}

// openTask reads an activation's open task through the API, as an administrator sees it.
func (s *stack) openTask(activationID string) domain.ApprovalTask {
	s.t.Helper()
	var page struct {
		Items []domain.ApprovalTask `json:"items"`
	}
	if code := s.call("admin-1", http.MethodGet, "/tasks?status=OPEN&limit=100", nil, &page); code != http.StatusOK {
		s.t.Fatalf("GET /tasks: %d", code)
	}
	for _, task := range page.Items {
		if task.ActivationID == activationID {
			return task
		}
	}
	s.t.Fatalf("no open task of %s", activationID)
	return domain.ApprovalTask{}
}

// TestConsoleReassign: an administrator gives an open task to one person with a comment; the
// task's assignee changes (through the API). A user name the API refuses and no comment are
// shown by their fields first, and change nothing. An approver gets no Reassign button.
func TestConsoleReassign(t *testing.T) {
	s := newStack(t)
	browser := newBrowser(t)
	waiting := s.requestActivation("office-ht", request("HT", "Port-au-Prince", 1_000_000), domain.StatusAwaitingApproval)
	before := s.openTask(waiting.ID)
	card := `#task-list li[data-activation="` + waiting.ID + `"]`

	tab := newTab(t, browser)
	signIn(t, s, tab, "admin-1")
	act(t, tab,
		chromedp.Navigate(s.url+"/console/#/inbox"),
		chromedp.WaitVisible(card+" button.reassign", chromedp.ByQuery),
		chromedp.Click(card+" button.reassign", chromedp.ByQuery),
		chromedp.WaitVisible("#reassign-dialog", chromedp.ByQuery),
		chromedp.SendKeys(`#reassign-form input[name="assignee"]`, "security 2", chromedp.ByQuery),
		chromedp.Click("#send-reassign", chromedp.ByQuery),
		until(fieldError("#reassign-form", "assignee")+` !== ''`),
	)
	if got := text(t, tab, fieldError("#reassign-form", "assignee")); !strings.Contains(got, "user name") {
		t.Errorf("assignee error = %q", got)
	}
	if got := text(t, tab, fieldError("#reassign-form", "reason")); !strings.Contains(got, "required") {
		t.Errorf("comment error = %q", got)
	}
	if after := s.openTask(waiting.ID); after.Assignee != before.Assignee || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatalf("a refused reassignment changed the task: %+v", after)
	}
	screenshot(t, tab, "24-reassign-refused")
	checkLabels(t, tab, "inbox with the reassign dialog")
	act(t, tab,
		emptyField(`#reassign-form input[name="assignee"]`),
		chromedp.SendKeys(`#reassign-form input[name="assignee"]`, "security-2", chromedp.ByQuery),
		chromedp.SendKeys(`#reassign-form textarea[name="reason"]`, "security-1 is on mission without connection.", chromedp.ByQuery),
		chromedp.Click("#send-reassign", chromedp.ByQuery),
		until(`!document.querySelector('#reassign-dialog').open`),
		until(`[...document.querySelectorAll('`+card+` dd')].some(d => d.textContent === 'security-2')`),
	)
	if after := s.openTask(waiting.ID); after.Assignee != "security-2" || after.ID != before.ID {
		t.Errorf("task after the reassignment: %+v", after)
	}
	screenshot(t, tab, "25-reassigned")

	approver := newTab(t, browser)
	signIn(t, s, approver, "security-1")
	act(t, approver, chromedp.WaitVisible(card, chromedp.ByQuery))
	if n := number(t, approver, `document.querySelectorAll('button.reassign, #reassign-dialog').length`); n != 0 {
		t.Errorf("an approver sees %d reassign controls", n)
	}
}

// delegationOf lists a user's delegations through the API.
func (s *stack) delegationsOf(username string) []struct {
	domain.Delegation
	Status string `json:"status"`
	Active bool   `json:"active"`
} {
	s.t.Helper()
	var page struct {
		Items []struct {
			domain.Delegation
			Status string `json:"status"`
			Active bool   `json:"active"`
		} `json:"items"`
	}
	if code := s.call(username, http.MethodGet, "/delegations?limit=100", nil, &page); code != http.StatusOK {
		s.t.Fatalf("GET /delegations as %s: %d", username, code)
	}
	return page.Items
}

// TestConsoleDelegation: an approver delegates their tasks (to themselves first, refused by the
// field), the delegation exists through the API and is listed for both people, the delegate has
// no "End now", and the delegator ends it early.
func TestConsoleDelegation(t *testing.T) {
	s := newStack(t)
	browser := newBrowser(t)
	tab := newTab(t, browser)
	signIn(t, s, tab, "security-1")
	formError := func(path string) string { return fieldError("#delegation-form", path) }
	act(t, tab,
		chromedp.WaitVisible("#delegate", chromedp.ByQuery),
		until(`document.querySelector('#delegations-heading').textContent === 'My delegations'`),
		until(`!!document.querySelector('#delegation-list tbody td.empty')`),
		chromedp.Click("#delegate", chromedp.ByQuery),
		chromedp.WaitVisible("#delegation-dialog", chromedp.ByQuery),
		chromedp.SendKeys(`#delegation-form input[name="toUser"]`, "security-1", chromedp.ByQuery),
		chromedp.Click("#create-delegation", chromedp.ByQuery),
		until(formError("toUser")+` !== ''`),
	)
	if got := text(t, tab, formError("toUser")); !strings.Contains(got, "someone else") {
		t.Errorf("delegate error = %q", got)
	}
	if n := len(s.delegationsOf("admin-1")); n != 0 {
		t.Fatalf("a refused delegation was stored (%d delegations)", n)
	}
	screenshot(t, tab, "26-delegation-refused")
	checkLabels(t, tab, "inbox with the delegation dialog")
	// An end before the start: the API names the field.
	act(t, tab,
		emptyField(`#delegation-form input[name="toUser"]`),
		chromedp.SendKeys(`#delegation-form input[name="toUser"]`, "security-2", chromedp.ByQuery),
		chromedp.SetValue(`#delegation-form input[name="until"]`, "2020-01-01T09:00", chromedp.ByQuery),
		chromedp.Click("#create-delegation", chromedp.ByQuery),
		until(formError("until")+`.includes('after start')`),
	)
	act(t, tab,
		chromedp.Evaluate(`import('./views/delegations.js').then(m => {
			document.querySelector('#delegation-form input[name="until"]').value = m.localDateTime(new Date(Date.now() + 3 * 86400000));
		})`, nil, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
		chromedp.SendKeys(`#delegation-form textarea[name="reason"]`, "Annual leave", chromedp.ByQuery),
		chromedp.Click("#create-delegation", chromedp.ByQuery),
		until(`!document.querySelector('#delegation-dialog').open`),
		until(`document.querySelector('#delegation-status').textContent.startsWith('Security tasks of security-1 go to security-2 until')`),
		until(`document.querySelectorAll('#delegation-list tbody tr[data-delegation]').length === 1`),
	)
	given := s.delegationsOf("security-1")
	if len(given) != 1 || given[0].FromUser != "security-1" || given[0].ToUser != "security-2" || given[0].Role != domain.RoleSecurity ||
		!given[0].Active || given[0].Reason != "Annual leave" || given[0].Until.Sub(given[0].Start) < 71*time.Hour {
		t.Fatalf("delegations after the form: %+v", given)
	}
	row := `#delegation-list tr[data-delegation="` + given[0].ID + `"]`
	if got := text(t, tab, `document.querySelector('`+row+` .badge').textContent`); got != "Active" {
		t.Errorf("status shown = %q", got)
	}
	screenshot(t, tab, "27-delegation-listed")

	delegate := newTab(t, browser)
	signIn(t, s, delegate, "security-2")
	act(t, delegate, chromedp.WaitVisible(row, chromedp.ByQuery))
	if n := number(t, delegate, `document.querySelectorAll('`+row+` button.revoke').length`); n != 0 {
		t.Errorf("the delegate is offered End now")
	}

	act(t, tab,
		chromedp.Click(row+" button.revoke", chromedp.ByQuery),
		chromedp.WaitVisible("#revoke-dialog", chromedp.ByQuery),
		chromedp.SendKeys(`#revoke-form textarea[name="reason"]`, "Back early", chromedp.ByQuery),
		chromedp.Click("#send-revoke", chromedp.ByQuery),
		until(`!document.querySelector('#revoke-dialog').open`),
		until(`document.querySelector('`+row+` .badge').textContent === 'Revoked'`),
	)
	if n := number(t, tab, `document.querySelectorAll('`+row+` button.revoke').length`); n != 0 {
		t.Errorf("a revoked delegation still offers End now")
	}
	ended := s.delegationsOf("security-2")
	if len(ended) != 1 || ended[0].Status != "revoked" || ended[0].Active || ended[0].RevokedBy != "security-1" {
		t.Errorf("delegation after End now: %+v", ended)
	}
	screenshot(t, tab, "28-delegation-revoked")

	// An administrator records a delegation for someone else and sees every delegation.
	admin := newTab(t, browser)
	signIn(t, s, admin, "admin-1")
	act(t, admin,
		chromedp.Navigate(s.url+"/console/#/inbox"),
		chromedp.WaitVisible("#delegate", chromedp.ByQuery),
		until(`document.querySelector('#delegations-heading').textContent === 'Delegations'`),
		chromedp.WaitVisible(row, chromedp.ByQuery),
		chromedp.Click("#delegate", chromedp.ByQuery),
		chromedp.WaitVisible("#delegation-dialog", chromedp.ByQuery),
		chromedp.SendKeys(`#delegation-form input[name="fromUser"]`, "finance-1", chromedp.ByQuery),
		chromedp.SendKeys(`#delegation-form input[name="toUser"]`, "finance-2", chromedp.ByQuery),
		chromedp.SetValue(`#delegation-form select[name="role"]`, "finance", chromedp.ByQuery),
		chromedp.Click("#create-delegation", chromedp.ByQuery),
		until(`!document.querySelector('#delegation-dialog').open`),
		until(`document.querySelectorAll('#delegation-list tbody tr[data-delegation]').length === 2`),
	)
	recorded := s.delegationsOf("finance-2")
	if len(recorded) != 1 || recorded[0].FromUser != "finance-1" || recorded[0].Role != domain.RoleFinance || recorded[0].CreatedBy != "admin-1" || !recorded[0].Active {
		t.Errorf("delegation recorded by the administrator: %+v", recorded)
	}
}

// verification walks GET /audit/verify page by page through the API, as an auditor.
func (s *stack) verification(activationID string) (events int, breaks []audit.Break) {
	s.t.Helper()
	cursor := ""
	for range 100 {
		var page struct {
			Events int           `json:"events"`
			Breaks []audit.Break `json:"breaks"`
			Next   string        `json:"next"`
		}
		query := url.Values{"limit": {"100"}}
		if activationID != "" {
			query.Set("activationId", activationID)
		}
		if cursor != "" {
			query.Set("cursor", cursor)
		}
		if code := s.call("auditor-1", http.MethodGet, "/audit/verify?"+query.Encode(), nil, &page); code != http.StatusOK {
			s.t.Fatalf("GET /audit/verify: %d", code)
		}
		events += page.Events
		breaks = append(breaks, page.Breaks...)
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	return events, breaks
}

// TestConsoleAuditVerify: an auditor verifies the whole trail (intact, with the number of events
// the API counts), an activation id the API refuses is shown by its field, and after someone
// changes one stored audit item under the API, verifying that activation names exactly that
// event in words. An administrator may verify too; an approver has no audit view.
func TestConsoleAuditVerify(t *testing.T) {
	s := newStack(t)
	browser := newBrowser(t)
	waiting := s.requestActivation("office-ht", request("HT", "Port-au-Prince", 1_000_000), domain.StatusAwaitingApproval)
	s.requestActivation("office-ke", request("KE", "Mombasa", 1_000_000), domain.StatusAwaitingApproval)
	events, breaks := s.verification("")
	if events < 4 || len(breaks) != 0 {
		t.Fatalf("the API verifies %d events with breaks %v", events, breaks)
	}

	tab := newTab(t, browser)
	signIn(t, s, tab, "auditor-1")
	act(t, tab,
		chromedp.WaitVisible("#verify-chain", chromedp.ByQuery),
		chromedp.Click("#verify-chain", chromedp.ByQuery),
		until(`document.querySelector('#verify-outcome')?.textContent === 'The chain is intact'`),
	)
	// The system chain (checked on the first page, whatever it holds) and the two activations'.
	checked := text(t, tab, `document.querySelector('#verify-checked').textContent`)
	if want := fmt.Sprintf("Checked %d events in 3 chains:", events); !strings.HasPrefix(checked, want) {
		t.Errorf("report = %q, want it to start with %q", checked, want)
	}
	screenshot(t, tab, "29-verify-intact")
	checkLabels(t, tab, "audit with the verification")

	act(t, tab,
		chromedp.SendKeys(`#verify-form input[name="activationId"]`, "act 1", chromedp.ByQuery),
		chromedp.Click("#verify-chain", chromedp.ByQuery),
		until(fieldError("#verify-form", "activationId")+` !== ''`),
	)
	if got := text(t, tab, fieldError("#verify-form", "activationId")); !strings.Contains(got, "not an activation id") {
		t.Errorf("activation error = %q", got)
	}
	if n := number(t, tab, `document.querySelectorAll('#verify-report *').length`); n != 0 {
		t.Errorf("a refused verification still shows a report")
	}

	// Someone with write access to the table changes who asked for the activation.
	client := dynamodb.NewFromConfig(s.system.AWS, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(s.system.DynamoDBEndpoint) })
	_, err := client.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(s.system.Tables.Of(tables.Audit)),
		Key: map[string]types.AttributeValue{"stream": &types.AttributeValueMemberS{Value: audit.StreamOf(waiting.ID)},
			"seq": &types.AttributeValueMemberN{Value: "1"}},
		UpdateExpression:          aws.String("SET actor = :a"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": &types.AttributeValueMemberS{Value: "office-ke"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, breaks := s.verification(waiting.ID); len(breaks) != 1 || breaks[0].Seq != 1 {
		t.Fatalf("the API reports %+v for the tampered activation", breaks)
	}
	act(t, tab,
		emptyField(`#verify-form input[name="activationId"]`),
		chromedp.SendKeys(`#verify-form input[name="activationId"]`, waiting.ID, chromedp.ByQuery),
		chromedp.Click("#verify-chain", chromedp.ByQuery),
		until(`document.querySelector('#verify-outcome')?.textContent === '1 break found'`),
	)
	want := "In activation " + waiting.ID + ", event #1: its content does not match its hash (changed after it was written)."
	if got := text(t, tab, `[...document.querySelectorAll('#verify-breaks li')].map(li => li.textContent).join('\n')`); got != want {
		t.Errorf("breaks shown:\n%s\nwant\n%s", got, want)
	}
	if got := text(t, tab, fieldError("#verify-form", "activationId")); got != "" {
		t.Errorf("the field error stays after a good request: %q", got)
	}
	screenshot(t, tab, "30-verify-break")

	admin := newTab(t, browser)
	signIn(t, s, admin, "admin-1")
	act(t, admin,
		chromedp.Navigate(s.url+"/console/#/audit"),
		chromedp.WaitVisible("#verify-chain", chromedp.ByQuery),
		chromedp.Click("#verify-chain", chromedp.ByQuery),
		until(`document.querySelector('#verify-outcome')?.textContent === '1 break found'`),
	)
	approver := newTab(t, browser)
	signIn(t, s, approver, "security-1")
	act(t, approver, chromedp.Navigate(s.url+"/console/#/audit"), chromedp.WaitVisible("main h1", chromedp.ByQuery))
	if got := text(t, approver, `document.querySelector('main h1').textContent`); got != "Not available" {
		t.Errorf("an approver's audit page says %q", got)
	}
}
