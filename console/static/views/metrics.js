// Monitoring: activations by status, time from request to each step per country and crisis
// type, approvals decided within their deadline, open tasks past their deadline.

import { h, replace, humanize, duration, dateTime } from '../lib/dom.js';
import { field, problemBox, showProblem, clearProblem } from '../lib/forms.js';
import { request } from '../lib/api.js';

function rfc3339(localValue) {
  if (!localValue) return '';
  const date = new Date(localValue);
  return Number.isNaN(date.getTime()) ? localValue : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** render draws the metrics. */
export async function render(context) {
  const { main, title } = context;
  title('Metrics');
  const body = h('div', {});
  const problem = problemBox();
  const form = h('form', { class: 'filters', novalidate: true, 'aria-label': 'Time range' },
    problem,
    field('from', 'Requested from', h('input', { type: 'datetime-local', name: 'from' })),
    field('to', 'Requested before', h('input', { type: 'datetime-local', name: 'to' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Show')));

  const load = async (from, to) => {
    const m = await request('/metrics/activations', { query: { from, to } });
    const share = m.approvals.share === null || m.approvals.share === undefined ? 'no decision yet' : `${Math.round(m.approvals.share * 100)} %`;
    replace(body,
      h('div', { class: 'balances' },
        h('section', { class: 'card', 'aria-label': 'Activations' }, h('h2', {}, 'Activations'), h('p', { class: 'big' }, String(m.activations.total)),
          h('dl', { class: 'facts compact' }, Object.entries(m.activations.byStatus || {}).map(([status, n]) => [h('dt', {}, humanize(status)), h('dd', {}, String(n))]))),
        h('section', { class: 'card', 'aria-label': 'Approvals within deadline' }, h('h2', {}, 'Approvals within deadline'), h('p', { class: 'big', id: 'approval-share' }, share),
          h('p', { class: 'hint' }, `${m.approvals.withinDeadline} of ${m.approvals.decided} decided in time`)),
        h('section', { class: 'card', 'aria-label': 'Open tasks past deadline' }, h('h2', {}, 'Open tasks past deadline'),
          h('p', { class: `big${m.openTasksPastDeadline > 0 ? ' overdue' : ''}` }, String(m.openTasksPastDeadline)))),
      h('h2', {}, 'Time from request to each step'),
      h('div', { class: 'table-wrap' }, h('table', { id: 'step-timings' },
        h('thead', {}, h('tr', {}, ['Step', 'Country', 'Crisis', 'Activations', 'Average', 'Longest'].map((label) => h('th', { scope: 'col' }, label)))),
        h('tbody', {}, (m.timeToStep || []).length ? m.timeToStep.map((s) => h('tr', {},
          h('td', {}, humanize(s.step)), h('td', {}, s.country), h('td', {}, humanize(s.crisisType)), h('td', { class: 'number' }, String(s.count)),
          h('td', { class: 'number' }, duration(s.averageSeconds)), h('td', { class: 'number' }, duration(s.maxSeconds))))
          : h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No step reached yet.'))))),
      h('p', { class: 'hint' }, 'Computed ', dateTime(m.generatedAt), '.'));
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const data = new FormData(form);
    try {
      await load(rfc3339(String(data.get('from') || '')), rfc3339(String(data.get('to') || '')));
    } catch (error) {
      showProblem(form, error);
    }
  });
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, 'Metrics')), form, body);
  await load('', '');
}
