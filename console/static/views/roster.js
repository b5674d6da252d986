// The expert roster: who can be deployed, in which areas and languages, with their security
// training and how many bookings they hold (read-only; admins change it through the API).

import { h, replace, humanize, dateTime } from '../lib/dom.js';
import { field, select, problemBox, showProblem, clearProblem } from '../lib/forms.js';
import { request } from '../lib/api.js';

/** render draws the roster. */
export async function render(context) {
  const { main, config, title } = context;
  title('Roster');
  const body = h('tbody', {});
  const count = h('p', { class: 'hint', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', hidden: true }, 'Show more');
  const filters = { area: '', language: '' };
  let experts = [];
  let next = '';

  const row = (e) => h('tr', { 'data-expert': e.id },
    h('td', { class: 'mono' }, e.id),
    h('td', {}, e.name),
    h('td', {}, humanize(e.employment)),
    h('td', {}, (e.areas || []).map(humanize).join(', ')),
    h('td', {}, (e.languages || []).join(', ')),
    h('td', {}, e.training && e.training.level ? `${humanize(e.training.level)} until ${e.training.expires}` : 'none'),
    h('td', {}, e.homeOffice || ''),
    h('td', { class: 'number' }, String(e.activeBookings || 0)),
    h('td', {}, dateTime(e.updatedAt)));

  const load = async (append) => {
    const query = { ...filters, limit: 50 };
    if (append) query.cursor = next;
    const page = await request('/experts', { query });
    experts = append ? experts.concat(page.items) : page.items;
    next = page.next || '';
    replace(body, experts.length ? experts.map(row) : h('tr', {}, h('td', { colspan: 9, class: 'empty' }, 'No expert matches.')));
    more.hidden = !next;
    count.textContent = `${experts.length} expert${experts.length === 1 ? '' : 's'} shown${next ? ' (more available)' : ''}.`;
  };

  const problem = problemBox();
  const form = h('form', { class: 'filters', novalidate: true, 'aria-label': 'Filter the roster' },
    problem,
    field('area', 'Technical area', select('area', config.codes.areas, { blank: 'Any area' })),
    field('language', 'Language', h('input', { type: 'text', name: 'language', maxlength: 2, autocomplete: 'off', placeholder: 'fr' }), 'ISO 639-1 code.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Filter')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const data = new FormData(form);
    filters.area = String(data.get('area') || '');
    filters.language = String(data.get('language') || '').trim();
    try {
      await load(false);
    } catch (error) {
      showProblem(form, error);
    }
  });
  more.addEventListener('click', () => load(true).catch((error) => showProblem(form, error)));

  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Expert roster')),
    form, count,
    h('div', { class: 'table-wrap' }, h('table', { id: 'roster' },
      h('caption', { class: 'visually-hidden' }, 'Experts'),
      h('thead', {}, h('tr', {}, ['Id', 'Name', 'Employment', 'Areas', 'Languages', 'Security training', 'Home office', 'Bookings', 'Updated']
        .map((label) => h('th', { scope: 'col' }, label)))),
      body)),
    more);
  await load(false);
}
