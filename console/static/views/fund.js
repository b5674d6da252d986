// The rapid action fund: balances per currency and the latest ledger entries. Administrators
// add a donor contribution here (POST /fund/contributions); the balance and the ledger are
// read again after it, so what is shown is what the API stored.

import { h, replace, humanize, money, toMinorUnits, dateTime, announce } from '../lib/dom.js';
import { field, select, problemBox, showProblem, clearProblem } from '../lib/forms.js';
import { request, grants, idempotencyKey, ApiError } from '../lib/api.js';

/** render draws the fund. */
export async function render(context) {
  const { main, config, title, scopeOf } = context;
  title('Fund');
  const { permitted } = await grants(scopeOf);
  const currencies = Object.keys(config.fund.currencies).sort();
  const balances = h('div', { class: 'balances' });
  const ledger = h('tbody', {});
  const problem = problemBox();
  const form = h('form', { class: 'filters', novalidate: true, 'aria-label': 'Choose a currency' },
    problem,
    field('currency', 'Currency', select('currency', currencies, { blank: 'Every currency', labels: (c) => c })),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Show')));
  let shownCurrency = '';

  const load = async (currency) => {
    const fund = await request('/fund', { query: { currency, limit: 50 } });
    shownCurrency = currency;
    replace(balances, fund.balances.map((b) => h('section', { class: 'card balance', 'aria-label': `Fund in ${b.currency}` },
      h('h2', {}, b.currency),
      h('p', { class: 'big' }, money(b.available, b.currency)),
      h('p', { class: 'hint' }, 'available'),
      h('dl', { class: 'facts compact' },
        h('dt', {}, 'Reserved'), h('dd', {}, money(b.reserved, b.currency)),
        h('dt', {}, 'Released'), h('dd', {}, money(b.released, b.currency)),
        h('dt', {}, 'Contributed'), h('dd', {}, money(b.contributed, b.currency)),
        h('dt', {}, 'Updated'), h('dd', {}, dateTime(b.updatedAt))))));
    replace(ledger, fund.ledger.length ? fund.ledger.map((e) => h('tr', { 'data-entry': e.id || '' },
      h('td', {}, dateTime(e.at)),
      h('td', {}, humanize(e.kind)),
      h('td', { class: 'number' }, money(e.amount, e.currency)),
      h('td', { class: 'number' }, money(e.delta, e.currency)),
      h('td', {}, e.activationId ? h('a', { href: `#/activations/${e.activationId}` }, e.activationId) : ''),
      h('td', {}, e.reference || ''),
      h('td', {}, e.actor))) : h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No entries.')));
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    try {
      await load(String(new FormData(form).get('currency') || ''));
    } catch (error) {
      showProblem(form, error);
    }
  });

  const contribution = permitted('fund:contribute')
    ? contributionForm(config, currencies, async () => load(shownCurrency))
    : null;

  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Rapid action fund')),
    form, balances,
    contribution,
    h('h2', {}, 'Latest ledger entries'),
    h('div', { class: 'table-wrap' }, h('table', { id: 'ledger' },
      h('caption', { class: 'visually-hidden' }, 'Ledger entries, newest first'),
      h('thead', {}, h('tr', {}, ['Time', 'Kind', 'Amount', 'Change to available', 'Activation', 'Reference', 'By'].map((label) => h('th', { scope: 'col' }, label)))),
      ledger)));
  await load('');
}

/**
 * contributionForm is the administrators' form for a donor contribution. The amount is typed in
 * major units and sent in minor units; anything that is not an amount is sent as typed, for the
 * API to name the field. A retry of the same contribution keeps its Idempotency-Key, so money
 * whose answer was lost is not added twice.
 */
function contributionForm(config, currencies, reload) {
  const status = h('p', { class: 'hint', id: 'contribution-status', 'aria-live': 'polite' });
  const amount = h('input', { type: 'text', name: 'amount.value', inputmode: 'decimal', autocomplete: 'off', placeholder: '250000.00' });
  const currency = select('amount.currency', currencies, { blank: null, value: currencies.includes('USD') ? 'USD' : currencies[0], labels: (c) => c });
  const form = h('form', { id: 'contribution-form', novalidate: true, 'aria-labelledby': 'contribution-heading' },
    h('h2', { id: 'contribution-heading' }, 'Add a donor contribution'),
    h('p', { class: 'hint' }, 'The money is available at once; the ledger records who added it, and the audit trail too.'),
    problemBox(),
    h('div', { class: 'row' },
      field('amount.value', 'Amount', amount, 'In the currency\'s units, not cents.'),
      field('amount.currency', 'Currency', currency)),
    h('div', { class: 'row' },
      field('donor', 'Donor', h('input', { type: 'text', name: 'donor', autocomplete: 'off', maxlength: 200 }), 'Who gives the money; at most 200 characters.'),
      field('reference', 'Reference (optional)', h('input', { type: 'text', name: 'reference', autocomplete: 'off', maxlength: 300 }),
        'The agreement or transfer, at most 300 characters.')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'add-contribution' }, 'Add to the fund')),
    status);
  let attempt = { body: '', key: '' };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    status.textContent = '';
    const data = new FormData(form);
    const typed = String(data.get('amount.value') || '');
    const code = String(data.get('amount.currency') || '');
    const minor = toMinorUnits(typed, code);
    const body = {
      amount: { value: minor === null ? (typed.trim() === '' ? 0 : typed) : minor, currency: code },
      donor: String(data.get('donor') || ''),
      reference: String(data.get('reference') || ''),
    };
    const text = JSON.stringify(body);
    if (attempt.body !== text) attempt = { body: text, key: idempotencyKey() };
    const submit = form.querySelector('#add-contribution');
    submit.disabled = true;
    try {
      const result = await request('/fund/contributions', { method: 'POST', body, headers: { 'Idempotency-Key': attempt.key } });
      attempt = { body: '', key: '' };
      form.reset();
      const added = money(result.entry.amount, result.entry.currency);
      status.textContent = `Added ${added} from ${body.donor}. Available now: ${money(result.balance.available, result.balance.currency)}.`;
      announce(status.textContent);
      await reload();
    } catch (error) {
      showProblem(form, error instanceof ApiError ? error : new ApiError({ title: String(error) }, 0));
    } finally {
      submit.disabled = false;
    }
  });
  return h('section', { class: 'card admin-form', id: 'contribution' }, form);
}
