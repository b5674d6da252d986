// The activation list: a country office sees its own office's, other readers every office's,
// filtered by status, country and crisis type, newest first, refreshed while any is in progress.

import { h, replace, humanize, money, dateTime, statusBadge } from '../lib/dom.js';
import { select, field, problemBox, showProblem, clearProblem } from '../lib/forms.js';
import { request } from '../lib/api.js';

/** inProgress says whether an activation may still change without anyone acting on it. */
export function inProgress(status) {
  return ['REQUESTED', 'IN_PROGRESS', 'AWAITING_APPROVAL', 'COMPENSATING'].includes(status);
}

/** render draws the list. */
export async function render(context) {
  const { main, config, can, scopeOf, poll, title } = context;
  title('Activations');
  const ownOffice = scopeOf('activations:read') !== 'all';
  const filters = { status: '', country: '', crisisType: '' };
  const body = h('tbody', {});
  const problem = problemBox();
  const more = h('button', { type: 'button', hidden: true }, 'Show more');
  const count = h('p', { class: 'hint', 'aria-live': 'polite' });
  let next = '';
  let shown = [];

  const row = (a) => h('tr', { 'data-activation': a.id },
    h('td', {}, h('a', { href: `#/activations/${a.id}` }, a.id)),
    h('td', {}, statusBadge(a.status)),
    h('td', {}, `${a.dutyStation}, ${a.country}`, a.securityLevel ? h('span', { class: 'hint' }, ` · level ${a.securityLevel}`) : null),
    h('td', {}, humanize(a.crisisType)),
    h('td', { class: 'number' }, money(a.amount.value, a.amount.currency)),
    h('td', { class: 'number' }, String(a.priority)),
    h('td', {}, a.office),
    h('td', {}, dateTime(a.createdAt)));

  const load = async (append) => {
    const query = { ...filters, limit: 25 };
    if (append) query.cursor = next;
    const page = await request('/activations', { query });
    shown = append ? shown.concat(page.items) : page.items;
    next = page.next || '';
    replace(body, shown.length ? shown.map(row)
      : h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No activations match.')));
    more.hidden = !next;
    count.textContent = `${shown.length} activation${shown.length === 1 ? '' : 's'} shown${next ? ' (more available)' : ''}.`;
    return shown.some((a) => inProgress(a.status));
  };

  const form = h('form', { class: 'filters', novalidate: true, 'aria-label': 'Filter activations' },
    problem,
    field('status', 'Status', select('status', config.codes.statuses, { blank: 'Any status' })),
    ownOffice ? null : field('country', 'Country', select('country', config.countries.map((c) => c.code),
      { blank: 'Any country', labels: (code) => `${code} — ${(config.countries.find((c) => c.code === code) || {}).name || ''}` })),
    field('crisisType', 'Crisis type', select('crisisType', config.codes.crisisTypes, { blank: 'Any crisis type' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Filter')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const data = new FormData(form);
    for (const key of Object.keys(filters)) filters[key] = data.get(key) || '';
    try {
      await load(false);
    } catch (error) {
      showProblem(form, error);
    }
  });
  more.addEventListener('click', async () => {
    try {
      await load(true);
    } catch (error) {
      showProblem(form, error);
    }
  });

  replace(main,
    h('div', { class: 'page-head' },
      h('h1', {}, ownOffice && context.user.office ? `Activations of office ${context.user.office}` : 'Activations'),
      can('activations:create') ? h('a', { class: 'button primary', href: '#/activations/new' }, 'New request') : null),
    form,
    count,
    h('div', { class: 'table-wrap' }, h('table', { id: 'activation-list' },
      h('caption', { class: 'visually-hidden' }, 'Activations, newest first'),
      h('thead', {}, h('tr', {},
        ['Activation', 'Status', 'Duty station', 'Crisis', 'Amount', 'Priority', 'Office', 'Requested'].map((label) => h('th', { scope: 'col' }, label)))),
      body)),
    more);

  const busy = await load(false);
  // While something is in progress, refresh the first page every few seconds; stop once
  // everything shown has reached an outcome or the user has paged further.
  if (busy) poll(async () => (next && shown.length > 25 ? false : load(false)), 4000);
}
