// The rapid action fund: balances per currency and the latest ledger entries (read-only; admins
// add contributions through the API or the CLI).

import { h, replace, humanize, money, dateTime } from '../lib/dom.js';
import { field, select, problemBox, showProblem, clearProblem } from '../lib/forms.js';
import { request } from '../lib/api.js';

/** render draws the fund. */
export async function render(context) {
  const { main, config, title } = context;
  title('Fund');
  const balances = h('div', { class: 'balances' });
  const ledger = h('tbody', {});
  const problem = problemBox();
  const form = h('form', { class: 'filters', novalidate: true, 'aria-label': 'Choose a currency' },
    problem,
    field('currency', 'Currency', select('currency', Object.keys(config.fund.currencies).sort(), { blank: 'Every currency', labels: (c) => c })),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Show')));

  const load = async (currency) => {
    const fund = await request('/fund', { query: { currency, limit: 50 } });
    replace(balances, fund.balances.map((b) => h('section', { class: 'card balance', 'aria-label': `Fund in ${b.currency}` },
      h('h2', {}, b.currency),
      h('p', { class: 'big' }, money(b.available, b.currency)),
      h('p', { class: 'hint' }, 'available'),
      h('dl', { class: 'facts compact' },
        h('dt', {}, 'Reserved'), h('dd', {}, money(b.reserved, b.currency)),
        h('dt', {}, 'Released'), h('dd', {}, money(b.released, b.currency)),
        h('dt', {}, 'Contributed'), h('dd', {}, money(b.contributed, b.currency)),
        h('dt', {}, 'Updated'), h('dd', {}, dateTime(b.updatedAt))))));
    replace(ledger, fund.ledger.length ? fund.ledger.map((e) => h('tr', {},
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

  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Rapid action fund')),
    form, balances,
    h('h2', {}, 'Latest ledger entries'),
    h('div', { class: 'table-wrap' }, h('table', { id: 'ledger' },
      h('caption', { class: 'visually-hidden' }, 'Ledger entries, newest first'),
      h('thead', {}, h('tr', {}, ['Time', 'Kind', 'Amount', 'Change to available', 'Activation', 'Reference', 'By'].map((label) => h('th', { scope: 'col' }, label)))),
      ledger)));
  await load('');
}
