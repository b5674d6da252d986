package console_test

// Browser tests of the write actions of administrators and approvers: each action once with
// success, checked through the API, and once refused or with invalid input, the API's error
// shown by its field and nothing changed.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/fasttrack/fasttrack/shared/domain"
)

// fieldError is the text of the error shown next to a form's field (empty when hidden).
func fieldError(form, path string) string {
	return `(() => { const e = document.querySelector('` + form + ` [data-field="` + path + `"] > .field-error'); return e && !e.hidden ? e.textContent : ''; })()`
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
	run(t, tab,
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

	run(t, tab,
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
	run(t, finance,
		chromedp.Navigate(s.url+"/console/#/fund"),
		chromedp.WaitVisible(`section[aria-label="Fund in USD"]`, chromedp.ByQuery),
	)
	if n := number(t, finance, `document.querySelectorAll('#contribution-form').length`); n != 0 {
		t.Errorf("finance is offered the contribution form")
	}
}
