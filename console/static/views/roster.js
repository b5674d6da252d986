// The expert roster: who can be deployed, in which areas and languages, with their security
// training and how many bookings they hold. Anyone who reads the roster opens an expert's
// details (GET /experts/{id}: bookings and insurance policies, which cover today).
// hr and administrators add an expert (PUT /experts/{id} with If-None-Match: *, so a taken id is
// refused by the API and never overwritten), change one (the whole profile, with If-Match on
// the version they read, so a change made meanwhile is not lost; bookings stay with the store)
// and add or replace an insurance policy (PUT /experts/{id}/policies/{policyId}) here.

import { h, replace, humanize, dateTime, isoDate, announce } from '../lib/dom.js';
import { field, group, select, problemBox, showProblem, clearProblem, sending } from '../lib/forms.js';
import { request, grants, ApiError } from '../lib/api.js';

/** render draws the roster. */
export async function render(context) {
  const { main, config, title, scopeOf } = context;
  title('Roster');
  const { permitted } = await grants(scopeOf);
  const mayManage = permitted('experts:write');
  const body = h('tbody', {});
  const count = h('p', { class: 'hint', 'aria-live': 'polite' });
  const status = h('p', { class: 'hint', id: 'roster-status', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', hidden: true }, 'Show more');
  const filters = { area: '', language: '' };
  let experts = [];
  let next = '';

  // The message shows once the table shows the change, so what it names is on screen.
  const saved = async (message) => {
    try {
      await load(false);
    } finally {
      status.textContent = message;
      announce(message);
    }
  };
  const expertDialog = mayManage ? buildExpertDialog(config, saved) : null;
  const policyDialog = mayManage ? buildPolicyDialog(config, saved) : null;
  const details = buildDetailsDialog();

  const row = (e) => h('tr', { 'data-expert': e.id },
    h('td', { class: 'mono' }, e.id),
    h('td', {}, e.name),
    h('td', {}, humanize(e.employment)),
    h('td', {}, (e.areas || []).map(humanize).join(', ')),
    h('td', {}, (e.languages || []).join(', ')),
    h('td', {}, e.training && e.training.level ? `${humanize(e.training.level)} until ${e.training.expires}` : 'none'),
    h('td', {}, e.homeOffice || ''),
    h('td', { class: 'number' }, String(e.activeBookings || 0)),
    h('td', {}, dateTime(e.updatedAt)),
    h('td', { class: 'row-actions' },
      h('button', { type: 'button', class: 'show-expert', 'aria-label': `Bookings and insurance of ${e.name}`, onclick: () => details.open(e) }, 'Details'),
      mayManage ? [' ',
        h('button', { type: 'button', class: 'edit-expert', 'aria-label': `Edit ${e.name}`, onclick: () => expertDialog.open(e) }, 'Edit'), ' ',
        h('button', { type: 'button', class: 'add-policy', 'aria-label': `Insurance policy of ${e.name}`, onclick: () => policyDialog.open(e) }, 'Insurance')] : null));

  const load = async (append) => {
    const query = { ...filters, limit: 50 };
    if (append) query.cursor = next;
    const page = await request('/experts', { query });
    if (!context.current()) return;
    experts = append ? experts.concat(page.items) : page.items;
    next = page.next || '';
    replace(body, experts.length ? experts.map(row) : h('tr', {}, h('td', { colspan: 10, class: 'empty' }, 'No expert matches.')));
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

  const headings = ['Id', 'Name', 'Employment', 'Areas', 'Languages', 'Security training', 'Home office', 'Bookings', 'Updated', mayManage ? 'Details and changes' : 'Details'];
  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Expert roster'),
      mayManage ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', id: 'add-expert', onclick: () => expertDialog.open(null) }, 'Add an expert')) : null),
    form, count, status,
    h('div', { class: 'table-wrap' }, h('table', { id: 'roster' },
      h('caption', { class: 'visually-hidden' }, 'Experts'),
      h('thead', {}, h('tr', {}, headings.map((label) => h('th', { scope: 'col' }, label)))),
      body)),
    more,
    details.element,
    expertDialog ? expertDialog.element : null,
    policyDialog ? policyDialog.element : null);
  await load(false);
}

/** languagesOf splits typed language codes ("en, fr sw") into a list, as typed otherwise. */
function languagesOf(text) {
  return String(text).split(/[,\s]+/).map((code) => code.trim()).filter(Boolean);
}

/**
 * put sends a PUT (with the headers given: a precondition) and says whether it added (201) or
 * changed (200) what it names, with the answer.
 */
async function put(path, body, headers = {}) {
  const response = await request(path, { method: 'PUT', body, headers, raw: true });
  return { created: response.status === 201, value: await response.json() };
}

/**
 * buildExpertDialog is the form of PUT /experts/{id}: a new expert (the id typed) or a change
 * of one (the id fixed). The whole profile is sent; the expert's unavailable periods are kept
 * as they are.
 */
function buildExpertDialog(config, done) {
  let current = null;
  const heading = h('h2', { id: 'expert-heading' }, 'Expert');
  const id = h('input', { type: 'text', name: 'id', autocomplete: 'off', maxlength: 128, placeholder: 'consultant-31' });
  const idHint = h('span', {});
  const level = select('training.level', config.codes.trainingLevels, { blank: 'None' });
  const expires = h('input', { type: 'date', name: 'training.expires' });
  const kept = h('p', { class: 'hint' });
  const form = h('form', { novalidate: true, id: 'expert-form' },
    heading, problemBox(),
    field('id', 'Id', id, idHint),
    field('name', 'Name', h('input', { type: 'text', name: 'name', autocomplete: 'off', maxlength: 200 })),
    field('employment', 'Employment', select('employment', config.codes.employment, { blank: 'Choose' })),
    group('areas', 'Technical areas', 'At least one.',
      h('div', { class: 'checks' }, config.codes.areas.map((code) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'areas', value: code }), ` ${humanize(code)}`)))),
    field('languages', 'Languages', h('input', { type: 'text', name: 'languages', autocomplete: 'off', placeholder: 'en, fr' }),
      'ISO 639-1 codes, separated by commas; at least one.'),
    h('div', { class: 'row' },
      field('training.level', 'Security training', level),
      field('training.expires', 'Training valid until', expires, 'The last day it is valid.')),
    field('homeOffice', 'Home office (optional)', h('input', { type: 'text', name: 'homeOffice', autocomplete: 'off', maxlength: 2, placeholder: 'KE' }),
      'ISO 3166-1 alpha-2 country code.'),
    kept,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', id: 'save-expert' }, 'Save expert'),
      h('button', { type: 'button', onclick: () => element.close() }, 'Close')));
  const element = h('dialog', { 'aria-labelledby': 'expert-heading', id: 'expert-dialog' }, form);
  const syncExpires = () => {
    expires.disabled = level.value === '';
    if (expires.disabled) expires.value = '';
  };
  level.addEventListener('change', syncExpires);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const data = new FormData(form);
    const expertId = current ? current.id : String(data.get('id') || '').trim();
    const body = {
      name: String(data.get('name') || ''),
      employment: String(data.get('employment') || ''),
      areas: data.getAll('areas').map(String),
      languages: languagesOf(data.get('languages') || ''),
      training: { level: String(data.get('training.level') || ''), expires: String(data.get('training.expires') || '') },
      homeOffice: String(data.get('homeOffice') || '').trim().toUpperCase(),
      unavailable: current ? current.unavailable || [] : [],
    };
    const send = form.querySelector('#save-expert');
    send.disabled = true;
    try {
      if (!expertId) throw new ApiError({ title: 'The request has invalid fields', errors: [{ field: 'id', reason: 'is required' }] }, 0);
      // A new expert is added only if the id is free (the API answers 412 on the id field, and
      // of two people adding one id at once only one succeeds); a change applies only to the
      // version read when the dialog opened (412 if someone changed the expert meanwhile).
      const precondition = current ? { 'If-Match': `"${current.version || 0}"` } : { 'If-None-Match': '*' };
      const answer = await put(`/experts/${encodeURIComponent(expertId)}`, body, precondition);
      element.close();
      await done(`${answer.value.name} (${answer.value.id}) ${answer.created ? 'added to the roster' : 'changed'}.`);
    } catch (error) {
      const problem = error instanceof ApiError ? error : new ApiError({ title: String(error) }, 0);
      if (problem.status === 412 && !current && problem.errors.length === 0) {
        problem.errors = [{ field: 'id', reason: 'belongs to an expert already' }];
      }
      if (problem.status === 412 && !current) {
        problem.errors = problem.errors.map((e) => (e.field === 'id' ? { ...e, reason: `${e.reason}: choose another id, or change them with Edit` } : e));
      }
      if (problem.status === 412 && current) {
        problem.detail = `${problem.detail} Close this dialog and open Edit again to start from the expert as they are now.`;
      }
      showProblem(form, problem);
    } finally {
      send.disabled = false;
    }
  });
  return {
    element,
    open(expert) {
      current = expert;
      form.reset();
      clearProblem(form);
      id.readOnly = Boolean(expert);
      if (expert) {
        heading.textContent = `Change ${expert.name}`;
        idHint.textContent = 'The id stays.';
        id.value = expert.id;
        form.elements.namedItem('name').value = expert.name || '';
        form.elements.namedItem('employment').value = expert.employment || '';
        for (const box of form.querySelectorAll('input[name="areas"]')) box.checked = (expert.areas || []).includes(box.value);
        form.elements.namedItem('languages').value = (expert.languages || []).join(', ');
        level.value = (expert.training && expert.training.level) || '';
        expires.value = (expert.training && expert.training.expires) || '';
        form.elements.namedItem('homeOffice').value = expert.homeOffice || '';
        const periods = expert.unavailable || [];
        kept.textContent = periods.length
          ? `Unavailable periods are kept: ${periods.map((p) => `${p.start} – ${p.end}`).join('; ')}.`
          : '';
      } else {
        heading.textContent = 'Add an expert';
        idHint.textContent = 'Letters, digits, "-", "_" or "."; it cannot change later.';
        kept.textContent = '';
      }
      syncExpires();
      element.showModal();
      (expert ? form.elements.namedItem('name') : id).focus();
    },
  };
}

/** buildPolicyDialog is the form of PUT /experts/{id}/policies/{policyId}: the same id replaces. */
function buildPolicyDialog(config, done) {
  let expert = null;
  const heading = h('h2', { id: 'policy-heading' }, 'Insurance policy');
  const form = h('form', { novalidate: true, id: 'policy-form' },
    heading,
    h('p', { class: 'hint' }, 'A policy with the id of one the expert holds replaces it; a new id adds one.'),
    problemBox(),
    field('policyId', 'Policy id', h('input', { type: 'text', name: 'policyId', autocomplete: 'off', maxlength: 128, placeholder: 'med-2026' })),
    h('div', { class: 'row' },
      field('kind', 'Cover', select('kind', config.codes.coverKinds, { blank: 'Choose a cover' })),
      field('insurer', 'Insurer (optional)', h('input', { type: 'text', name: 'insurer', autocomplete: 'off', maxlength: 200 }))),
    h('div', { class: 'row' },
      field('validFrom', 'Valid from', h('input', { type: 'date', name: 'validFrom' }), 'The first day of cover.'),
      field('validTo', 'Valid to', h('input', { type: 'date', name: 'validTo' }), 'The last day of cover.')),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', id: 'save-policy' }, 'Save policy'),
      h('button', { type: 'button', onclick: () => element.close() }, 'Close')));
  const element = h('dialog', { 'aria-labelledby': 'policy-heading', id: 'policy-dialog' }, form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const data = new FormData(form);
    const policyId = String(data.get('policyId') || '').trim();
    const body = {
      kind: String(data.get('kind') || ''),
      insurer: String(data.get('insurer') || ''),
      validFrom: String(data.get('validFrom') || ''),
      validTo: String(data.get('validTo') || ''),
    };
    const send = form.querySelector('#save-policy');
    await sending(form, send, async () => {
      if (!policyId) throw new ApiError({ title: 'The request has invalid fields', errors: [{ field: 'policyId', reason: 'is required' }] }, 0);
      const answer = await put(`/experts/${encodeURIComponent(expert.id)}/policies/${encodeURIComponent(policyId)}`, body);
      element.close();
      await done(`${humanize(answer.value.kind)} policy ${answer.value.id} of ${expert.name} ${answer.created ? 'added' : 'replaced'}: ${answer.value.validFrom} to ${answer.value.validTo}.`);
    });
  });
  return {
    element,
    open(chosen) {
      expert = chosen;
      form.reset();
      clearProblem(form);
      heading.textContent = `Insurance policy of ${chosen.name}`;
      form.elements.namedItem('validFrom').value = isoDate(0);
      form.elements.namedItem('validTo').value = isoDate(365);
      element.showModal();
      form.elements.namedItem('policyId').focus();
    },
  };
}

/**
 * buildDetailsDialog shows one expert as GET /experts/{id} answers: their bookings (cancelled
 * ones included) and their insurance policies, each with whether it covers today, and the
 * kinds of cover nothing covers today.
 */
function buildDetailsDialog() {
  const heading = h('h2', { id: 'details-heading' }, 'Expert');
  const summary = h('p', { class: 'hint', id: 'expert-summary' });
  const problem = problemBox();
  const bookings = h('tbody', {});
  const policies = h('tbody', {});
  const uncovered = h('p', { id: 'expert-uncovered', 'aria-live': 'polite' });
  const table = (id, caption, headings, body) => h('div', { class: 'table-wrap' }, h('table', { id },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headings.map((label) => h('th', { scope: 'col' }, label)))),
    body));
  const form = h('form', { method: 'dialog', id: 'details-form' },
    heading, problem, summary,
    table('expert-policies', 'Insurance policies', ['Policy', 'Cover', 'Insurer', 'Valid from', 'Valid to', 'Covers today'], policies),
    uncovered,
    table('expert-bookings', 'Bookings', ['Activation', 'From', 'To', 'Status'], bookings),
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => element.close() }, 'Close')));
  const element = h('dialog', { 'aria-labelledby': 'details-heading', id: 'expert-details' }, form);
  const empty = (columns, text) => h('tr', {}, h('td', { colspan: columns, class: 'empty' }, text));
  return {
    element,
    async open(expert) {
      clearProblem(form);
      heading.textContent = `${expert.name} (${expert.id})`;
      summary.textContent = 'Loading…';
      replace(policies);
      replace(bookings);
      uncovered.textContent = '';
      element.showModal();
      try {
        const view = await request(`/experts/${encodeURIComponent(expert.id)}`);
        const e = view.expert;
        summary.textContent = `${humanize(e.employment)}, ${(e.areas || []).map(humanize).join(', ')}; ${e.activeBookings || 0} active booking${e.activeBookings === 1 ? '' : 's'}. Cover as of ${view.policies.today}.`;
        const items = view.policies.items || [];
        replace(policies, items.length ? items.map((p) => h('tr', { 'data-policy': p.id, class: p.coversToday ? null : 'not-in-force' },
          h('td', { class: 'mono' }, p.id),
          h('td', {}, humanize(p.kind)),
          h('td', {}, p.insurer || '—'),
          h('td', {}, p.validFrom),
          h('td', {}, p.validTo),
          h('td', { class: 'covers-today' }, p.coversToday ? 'Yes' : 'No'))) : empty(6, 'No insurance policy.'));
        const missing = view.policies.uncoveredToday || [];
        uncovered.textContent = missing.length
          ? `Not covered today: ${missing.map(humanize).join(', ')}.`
          : 'Every kind of cover is in force today.';
        const list = view.bookings || [];
        replace(bookings, list.length ? list.map((b) => h('tr', { 'data-booking': b.id },
          h('td', { class: 'mono' }, b.activationId),
          h('td', {}, b.period.start),
          h('td', {}, b.period.end),
          h('td', {}, humanize(b.status)))) : empty(4, 'No booking.'));
      } catch (error) {
        summary.textContent = '';
        showProblem(form, error);
      }
    },
  };
}
