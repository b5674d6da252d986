// Forms: labelled fields with hints, and problem documents shown where they belong: each field
// error next to its field (the API names fields by JSON path, such as "profiles[1].startDate"),
// and a summary at the top of the form that links to them.

import { ApiError } from './api.js';
import { h, replace, humanize } from './dom.js';

let fieldCounter = 0;

/**
 * field wraps a control with its label, hint and error slot. path is the API's JSON path of the
 * value ("amount.value"); the control gets an id, aria-describedby and the path as data-field.
 */
export function field(path, label, control, hint = '') {
  fieldCounter += 1;
  const id = control.id || `field-${fieldCounter}`;
  control.id = id;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  control.setAttribute('aria-describedby', hint ? `${hintId} ${errorId}` : errorId);
  return h('div', { class: 'field', 'data-field': path },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    h('p', { class: 'field-error', id: errorId, hidden: true }),
    control);
}

/** group is a fieldset of related controls (check boxes, a profile) that errors can target. */
export function group(path, legend, hint, ...controls) {
  fieldCounter += 1;
  const errorId = `group-${fieldCounter}-error`;
  const hintId = `group-${fieldCounter}-hint`;
  return h('fieldset', { class: 'field group', 'data-field': path, 'aria-describedby': hint ? `${hintId} ${errorId}` : errorId },
    h('legend', {}, legend),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    h('p', { class: 'field-error', id: errorId, hidden: true }),
    ...controls);
}

/** select builds a <select> of codes, shown in words; blank adds an empty first choice. */
export function select(name, codes, { blank = '', value = '', labels = humanize } = {}) {
  return h('select', { name },
    blank !== null ? h('option', { value: '' }, blank) : null,
    codes.map((code) => h('option', { value: code, selected: code === value }, labels(code))));
}

/** clearProblem removes every error shown on the form. */
export function clearProblem(form) {
  for (const slot of form.querySelectorAll('.field-error')) {
    slot.hidden = true;
    slot.textContent = '';
  }
  for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
  for (const wrapper of form.querySelectorAll('.field.invalid')) wrapper.classList.remove('invalid');
  const summary = form.querySelector('.problem');
  if (summary) {
    summary.hidden = true;
    summary.replaceChildren();
  }
}

/** candidates lists the paths an error may be shown at, most precise first. */
function candidates(path) {
  const out = [];
  let current = path;
  while (current) {
    out.push(current);
    const next = current.replace(/(\[\d+\]|\.[^.[\]]+)$/, '');
    if (next === current) break;
    current = next;
  }
  return out;
}

/** wrapperFor finds the field an API path belongs to, or null. */
function wrapperFor(form, path) {
  for (const candidate of candidates(path)) {
    const wrapper = form.querySelector(`[data-field="${CSS.escape(candidate)}"]`);
    if (wrapper) return wrapper;
  }
  return null;
}

function sentence(text) {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : '';
}

/** labelOf names a field for the summary: its label, and the group it belongs to. */
function labelOf(wrapper) {
  const own = wrapper.querySelector(':scope > label, :scope > legend');
  const name = own ? own.textContent : wrapper.dataset.field;
  const outer = wrapper.parentElement ? wrapper.parentElement.closest('fieldset.group') : null;
  const outerLegend = outer ? outer.querySelector(':scope > legend') : null;
  return outerLegend ? `${name} (${outerLegend.textContent})` : name;
}

/**
 * showProblem shows an ApiError on a form: field errors next to their fields, the rest and a
 * summary in the form's .problem box, which gets the focus so the user hears it. Anything else
 * thrown (a network failure) is shown by its message. Returns the number of field errors placed
 * next to fields.
 */
export function showProblem(form, thrown) {
  const error = thrown instanceof ApiError ? thrown : new ApiError({ title: String(thrown) }, 0);
  clearProblem(form);
  const summary = form.querySelector('.problem');
  const items = [];
  let placed = 0;
  for (const fieldError of error.errors || []) {
    const wrapper = fieldError.field ? wrapperFor(form, fieldError.field) : null;
    const exact = wrapper && wrapper.dataset.field === fieldError.field;
    // Next to its own field the reason says enough; next to a group (a list item's error
    // shown by its list) and in the summary the field is named.
    const beside = exact ? sentence(fieldError.reason) : `${fieldError.field} ${fieldError.reason}`;
    const text = wrapper ? `${labelOf(wrapper)}: ${fieldError.reason}` : (fieldError.field ? `${fieldError.field} ${fieldError.reason}` : fieldError.reason);
    if (wrapper) {
      const slot = wrapper.querySelector(':scope > .field-error');
      slot.hidden = false;
      slot.textContent = slot.textContent ? `${slot.textContent}; ${beside}` : beside;
      wrapper.classList.add('invalid');
      const control = wrapper.querySelector('input, select, textarea');
      if (control) control.setAttribute('aria-invalid', 'true');
      placed += 1;
      const target = control || wrapper;
      items.push(h('li', {}, h('a', { href: '#', onclick: (event) => { event.preventDefault(); target.focus(); } }, text)));
    } else {
      items.push(h('li', {}, text));
    }
  }
  if (summary) {
    summary.hidden = false;
    replace(summary,
      h('h3', {}, error.title || 'The request was refused'),
      error.detail ? h('p', {}, error.detail) : null,
      items.length ? h('ul', {}, items) : null);
    summary.focus();
  }
  return placed;
}

/**
 * sending runs a form's call to the API with its send button disabled, and shows a refusal or a
 * failure on the form.
 */
export async function sending(form, send, call) {
  send.disabled = true;
  try {
    await call();
  } catch (error) {
    showProblem(form, error);
  } finally {
    send.disabled = false;
  }
}

/** problemBox is the summary slot of a form; showProblem fills it. */
export function problemBox() {
  return h('div', { class: 'problem', role: 'alert', tabindex: '-1', hidden: true });
}

/** errorPanel shows an ApiError outside a form (a view that could not load). */
export function errorPanel(error) {
  const list = (error.errors || []).map((e) => h('li', {}, e.field ? `${e.field} ${e.reason}` : e.reason));
  return h('div', { class: 'problem', role: 'alert' },
    h('h3', {}, error.title || 'Something went wrong'),
    error.detail ? h('p', {}, error.detail) : (error.title ? null : h('p', {}, String(error.message || error))),
    list.length ? h('ul', {}, list) : null);
}
