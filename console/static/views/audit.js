// The audit trail: search by activation, actor, country, action and time range, page by page,
// and export what matches as JSON lines or CSV (streamed by the API, saved by the browser).
// Auditors and administrators verify the hash chains (GET /audit/verify), of one activation or
// of the whole trail page by page, and read each break in words.

import { h, replace, dateTime, announce } from '../lib/dom.js';
import { field, select, problemBox, showProblem, clearProblem } from '../lib/forms.js';
import { request, download, grants, ApiError } from '../lib/api.js';

function rfc3339(localValue) {
  if (!localValue) return '';
  const date = new Date(localValue);
  return Number.isNaN(date.getTime()) ? localValue : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function change(event) {
  if (!event.before && !event.after) return null;
  return h('details', { class: 'event-detail' }, h('summary', {}, 'Change'),
    event.before ? [h('h4', {}, 'Before'), h('pre', {}, JSON.stringify(event.before, null, 2))] : null,
    event.after ? [h('h4', {}, 'After'), h('pre', {}, JSON.stringify(event.after, null, 2))] : null);
}

/** render draws the audit search. */
export async function render(context) {
  const { main, config, scopeOf, title } = context;
  title('Audit trail');
  const { permitted } = await grants(scopeOf);
  const can = permitted;
  const filters = { activationId: '', actor: '', country: '', action: '', from: '', to: '' };
  const body = h('tbody', {});
  const count = h('p', { class: 'hint', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', hidden: true }, 'Show more');
  const exportStatus = h('p', { class: 'hint', id: 'export-status', 'aria-live': 'polite' });
  let events = [];
  let next = '';

  const row = (e) => h('tr', { 'data-action': e.action },
    h('td', {}, dateTime(e.time)),
    h('td', {}, h('span', { class: 'mono' }, e.action)),
    h('td', {}, e.actor, e.role ? h('span', { class: 'hint' }, ` (${e.role})`) : null),
    h('td', {}, e.office || ''),
    h('td', {}, e.activationId ? h('a', { href: `#/activations/${e.activationId}` }, e.activationId) : ''),
    h('td', {}, e.country || ''),
    h('td', {}, e.subject || ''),
    h('td', {}, change(e)),
    h('td', { class: 'mono', title: `hash ${e.hash || ''}\nprevious ${e.prevHash || ''}` }, `${e.seq}`, e.hash ? ` · ${e.hash.slice(0, 10)}…` : ''));

  const load = async (append) => {
    const query = { ...filters, limit: 50 };
    if (append) query.cursor = next;
    const page = await request('/audit', { query });
    events = append ? events.concat(page.items) : page.items;
    next = page.next || '';
    replace(body, events.length ? events.map(row) : h('tr', {}, h('td', { colspan: 9, class: 'empty' }, 'No event matches.')));
    more.hidden = !next;
    count.textContent = `${events.length} event${events.length === 1 ? '' : 's'} shown, oldest first${next ? ' (more available)' : ''}.`;
  };

  const problem = problemBox();
  const form = h('form', { class: 'filters', novalidate: true, id: 'audit-search', 'aria-label': 'Search the audit trail' },
    problem,
    field('activationId', 'Activation', h('input', { type: 'text', name: 'activationId', autocomplete: 'off', placeholder: 'act-…' })),
    field('actor', 'Actor', h('input', { type: 'text', name: 'actor', autocomplete: 'off', placeholder: 'security-1' })),
    field('country', 'Country', select('country', config.countries.map((c) => c.code), { blank: 'Any country', labels: (c) => c })),
    field('action', 'Action', select('action', config.codes.auditActions, { blank: 'Any action', labels: (a) => a })),
    field('from', 'From', h('input', { type: 'datetime-local', name: 'from' })),
    field('to', 'To', h('input', { type: 'datetime-local', name: 'to' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Search')));
  const readFilters = () => {
    const data = new FormData(form);
    for (const key of Object.keys(filters)) filters[key] = String(data.get(key) || '').trim();
    filters.from = rfc3339(filters.from);
    filters.to = rfc3339(filters.to);
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    readFilters();
    try {
      await load(false);
    } catch (error) {
      showProblem(form, error);
    }
  });
  more.addEventListener('click', () => load(true).catch((error) => showProblem(form, error)));

  const exporter = (format) => async () => {
    clearProblem(form);
    readFilters();
    exportStatus.textContent = `Exporting ${format.toUpperCase()}…`;
    try {
      const { activationId, actor, country, action, from, to } = filters;
      const saved = await download('/audit/export', { format, activationId, actor, country, action, from, to }, `audit.${format}`);
      exportStatus.textContent = `Saved ${saved.name} (${saved.bytes.toLocaleString()} bytes).`;
      announce(exportStatus.textContent);
    } catch (error) {
      exportStatus.textContent = '';
      showProblem(form, error);
    }
  };

  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Audit trail'),
      can('audit:export') ? h('div', { class: 'actions', role: 'group', 'aria-label': 'Export what matches the search' },
        h('button', { type: 'button', id: 'export-jsonl', onclick: exporter('jsonl') }, 'Export JSON lines'),
        h('button', { type: 'button', id: 'export-csv', onclick: exporter('csv') }, 'Export CSV')) : null),
    h('p', { class: 'lead' }, 'Every change with who, when, and what it was before and after; append-only, each event chained to the previous one of its activation by its hash.'),
    form, exportStatus,
    can('audit:export') ? verifySection() : null,
    count,
    h('div', { class: 'table-wrap' }, h('table', { id: 'audit-results' },
      h('caption', { class: 'visually-hidden' }, 'Audit events'),
      h('thead', {}, h('tr', {}, ['Time', 'Action', 'Actor', 'Office', 'Activation', 'Country', 'Subject', 'Change', 'Seq · hash']
        .map((label) => h('th', { scope: 'col' }, label)))),
      body)),
    more);
  await load(false);
}

/** streamWords names a hash chain in words: an activation's, or the events of no activation. */
export function streamWords(stream) {
  if (stream === 'SYSTEM') return 'the events that belong to no activation (fund, roster, delegations)';
  return stream.startsWith('ACT#') ? `activation ${stream.slice(4)}` : stream;
}

/** plural says "1 event" or "3 events". */
function plural(count, noun) {
  return `${count.toLocaleString()} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * verifySection checks the audit trail's hash chains: one activation's, or every chain page by
 * page (the API checks one page of activations per call). It says how many events were
 * checked and each break in words: which chain, which event, what is wrong.
 */
function verifySection() {
  const report = h('div', { id: 'verify-report', 'aria-live': 'polite' });
  const form = h('form', { class: 'filters', novalidate: true, id: 'verify-form', 'aria-labelledby': 'verify-heading' },
    h('h2', { id: 'verify-heading', class: 'span' }, 'Verify the chain'),
    h('p', { class: 'hint span' }, 'Each event carries the hash of the one before it in its activation: a changed, removed or inserted event breaks the chain.'),
    problemBox(),
    field('activationId', 'Activation (optional)', h('input', { type: 'text', name: 'activationId', autocomplete: 'off', placeholder: 'every activation' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'verify-chain' }, 'Verify the chain')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const activationId = String(new FormData(form).get('activationId') || '').trim();
    const button = form.querySelector('#verify-chain');
    button.disabled = true;
    replace(report, h('p', { class: 'hint' }, 'Checking…'));
    const total = { streams: 0, events: 0, breaks: [] };
    try {
      let cursor = '';
      for (let pages = 0; pages < 10000; pages += 1) {
        const page = await request('/audit/verify', { query: { activationId, limit: 100, cursor } });
        total.streams += page.streams.length;
        total.events += page.events;
        total.breaks = total.breaks.concat(page.breaks || []);
        cursor = page.next || '';
        if (!cursor) break;
        replace(report, h('p', { class: 'hint' }, `Checking… ${plural(total.events, 'event')} in ${plural(total.streams, 'chain')} so far.`));
      }
    } catch (error) {
      replace(report);
      showProblem(form, error instanceof ApiError ? error : new ApiError({ title: String(error) }, 0));
      return;
    } finally {
      button.disabled = false;
    }
    const scope = activationId ? `the chain of activation ${activationId}` : `${plural(total.streams, 'chain')}: every activation's and the events of no activation`;
    const checked = `Checked ${plural(total.events, 'event')} in ${scope}.`;
    const intact = total.breaks.length === 0;
    replace(report, h('div', { class: `report${intact ? '' : ' broken'}`, role: intact ? 'status' : 'alert' },
      h('h3', { id: 'verify-outcome' }, intact ? 'The chain is intact' : `${plural(total.breaks.length, 'break')} found`),
      h('p', { id: 'verify-checked' }, checked,
        intact ? ' No event was changed, removed or inserted after it was written.' : ' Each event below no longer matches what was written; the events after it still link to it.'),
      intact ? null : h('ol', { id: 'verify-breaks' }, total.breaks.map((b) => h('li', { 'data-stream': b.stream, 'data-seq': String(b.seq) },
        `In ${streamWords(b.stream)}, event #${b.seq}: ${b.reason}.`)))));
    announce(intact ? `The chain is intact: ${checked}` : `${plural(total.breaks.length, 'break')} found in the audit trail.`);
  });
  return h('section', { id: 'verify' }, form, report);
}
