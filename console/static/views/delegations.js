// Delegation and reassignment, shown in the inbox: an approver delegates their tasks to another
// person of their role for a period (leave, a field mission) and sees the delegations they gave
// and received, ending one early with "End now"; an administrator records any delegation, sees
// them all, and gives an open task to one person. Every change is recorded in the audit trail
// by the API, which decides each call.

import { h, replace, humanize, dateTime, statusBadge, announce } from '../lib/dom.js';
import { field, select, problemBox, showProblem, clearProblem, sending } from '../lib/forms.js';
import { request } from '../lib/api.js';

/** localDateTime is a datetime-local control's value for a time: "2026-05-01T09:30". */
export function localDateTime(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * instant turns a datetime-local value into an RFC 3339 time in UTC; an empty value is left out
 * (undefined) so that the API says the field is required, and anything else is sent as typed.
 */
function instant(value) {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** userList is a datalist of the demo users of a role (none on a deployed system). */
function userList(config, id) {
  const users = (config.demoUsers || []).filter((u) => (u.roles || []).some((r) => config.codes.approverRoles.includes(r)));
  return h('datalist', { id }, users.map((u) => h('option', { value: u.username }, `${u.displayName} (${u.roles.map(humanize).join(', ')})`)));
}

/**
 * reassignDialog is the administrators' form of POST /tasks/{id}/reassign: the person who is
 * to decide the task, and a comment that the audit trail keeps (the API's "reason").
 */
export function reassignDialog(config, done) {
  let task = null;
  const heading = h('h2', { id: 'reassign-heading' }, 'Reassign');
  const about = h('p', {});
  const form = h('form', { novalidate: true, id: 'reassign-form' },
    heading, about, problemBox(),
    field('assignee', 'Give it to', h('input', { type: 'text', name: 'assignee', autocomplete: 'off', maxlength: 128, list: 'approver-users' }),
      'The user name of the one person who may decide it (or their delegate).'),
    field('reason', 'Comment', h('textarea', { name: 'reason', rows: 3, maxlength: 1000 }), 'Why; required, at most 1000 characters. Recorded in the audit trail.'),
    userList(config, 'approver-users'),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', id: 'send-reassign' }, 'Reassign'),
      h('button', { type: 'button', onclick: () => element.close() }, 'Close')));
  const element = h('dialog', { 'aria-labelledby': 'reassign-heading', id: 'reassign-dialog' }, form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const data = new FormData(form);
    const body = { assignee: String(data.get('assignee') || '').trim(), reason: String(data.get('reason') || '') };
    const send = form.querySelector('#send-reassign');
    await sending(form, send, async () => {
      const updated = await request(`/tasks/${encodeURIComponent(task.id)}/reassign`, { method: 'POST', body });
      element.close();
      await done(updated);
    });
  });
  return {
    element,
    open(chosen) {
      task = chosen;
      form.reset();
      clearProblem(form);
      heading.textContent = `Reassign: ${humanize(chosen.kind)}`;
      about.textContent = `Activation ${chosen.activationId}, ${humanize(chosen.role)} task${chosen.assignee ? `, now assigned to ${chosen.assignee}` : ', open to the whole role'}.`;
      element.showModal();
      form.elements.namedItem('assignee').focus();
    },
  };
}

/**
 * delegationSection is the delegation form (approvers for themselves; administrators for
 * anyone) and the list of delegations (an approver's own, given and received; everyone's for
 * auditors and administrators) with "End now" where the user may end one.
 */
export function delegationSection({ config, who, roles, scope, permitted, user }) {
  const me = who ? who.id : user.subject || user.username;
  const mayCreate = permitted('delegations:create');
  const mayList = permitted('delegations:list');
  const everyone = scope('delegations:create') === 'all';
  const status = h('p', { class: 'hint', id: 'delegation-status', 'aria-live': 'polite' });
  const body = h('tbody', {});
  const more = h('button', { type: 'button', hidden: true }, 'Show more');
  const listProblem = problemBox();
  let items = [];
  let next = '';

  const revoke = permitted('delegations:revoke') ? revokeDialog(async (ended) => {
    status.textContent = `The delegation from ${ended.fromUser} to ${ended.toUser} has ended.`;
    announce(status.textContent);
    await load(false);
  }) : null;

  const mayRevoke = (d) => (d.status === 'active' || d.status === 'scheduled') && revoke !== null
    && (scope('delegations:revoke') === 'all' || d.fromUser === me);

  const row = (d) => h('tr', { 'data-delegation': d.id },
    h('td', {}, d.fromUser), h('td', {}, d.toUser), h('td', {}, humanize(d.role)),
    h('td', { class: 'when' }, dateTime(d.start, true)), h('td', { class: 'when' }, dateTime(d.until, true)),
    h('td', {}, statusBadge(d.status), d.revokedBy ? h('span', { class: 'hint' }, ` by ${d.revokedBy}`) : null),
    h('td', {}, d.reason || ''),
    h('td', { class: 'row-actions' }, mayRevoke(d)
      ? h('button', { type: 'button', class: 'revoke', onclick: () => revoke.open(d) }, 'End now') : null));

  const load = async (append) => {
    if (!mayList) return;
    const query = { limit: 25 };
    if (append) query.cursor = next;
    const page = await request('/delegations', { query });
    items = append ? items.concat(page.items) : page.items;
    next = page.next || '';
    replace(body, items.length ? items.map(row) : h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No delegation.')));
    more.hidden = !next;
  };
  more.addEventListener('click', () => load(true).catch((error) => showProblem(list, error)));

  const create = mayCreate ? createDialog({ config, roles, everyone }, async (made) => {
    status.textContent = `${humanize(made.role)} tasks of ${made.fromUser} go to ${made.toUser} until ${new Date(made.until).toLocaleString()}.`;
    announce(status.textContent);
    await load(false);
  }) : null;

  const list = h('div', { id: 'delegations-list' }, listProblem,
    h('div', { class: 'table-wrap' }, h('table', { id: 'delegation-list' },
      h('caption', { class: 'visually-hidden' }, 'Delegations, newest first'),
      h('thead', {}, h('tr', {}, ['From', 'To', 'Role', 'Start', 'Until', 'Status', 'Reason', ''].map((label) => h('th', { scope: 'col' }, label)))),
      body)),
    more);
  const element = h('section', { id: 'delegations', 'aria-labelledby': 'delegations-heading' },
    h('div', { class: 'page-head' },
      h('h2', { id: 'delegations-heading' }, scope('delegations:list') === 'all' ? 'Delegations' : 'My delegations'),
      create ? h('button', { type: 'button', id: 'delegate', onclick: () => create.open() }, everyone ? 'Record a delegation…' : 'Delegate my tasks…') : null),
    h('p', { class: 'hint' }, 'A delegate decides the delegator\'s tasks of the role during the period; ending it early takes effect at once.'),
    status,
    mayList ? list : null,
    create ? create.element : null,
    revoke ? revoke.element : null);
  return {
    element,
    load: async () => {
      try {
        await load(false);
      } catch (error) {
        showProblem(list, error);
      }
    },
  };
}

/** createDialog is the form of POST /delegations. */
function createDialog({ config, roles, everyone }, done) {
  const form = h('form', { novalidate: true, id: 'delegation-form' },
    h('h2', { id: 'delegation-heading' }, everyone ? 'Record a delegation' : 'Delegate my tasks'),
    h('p', { class: 'hint' }, everyone
      ? 'The delegate decides the delegator\'s tasks of the role during the period.'
      : 'While you are away, the person you name decides your tasks of the role; you can end it early.'),
    problemBox(),
    everyone ? field('fromUser', 'Delegator', h('input', { type: 'text', name: 'fromUser', autocomplete: 'off', maxlength: 128, list: 'delegation-users' }),
      'Whose tasks.') : null,
    field('toUser', 'Delegate', h('input', { type: 'text', name: 'toUser', autocomplete: 'off', maxlength: 128, list: 'delegation-users' }),
      'The user name of the person who acts instead; of the same role.'),
    field('role', 'Role', select('role', roles, { blank: roles.length === 1 ? null : 'Choose a role', value: roles.length === 1 ? roles[0] : '' })),
    h('div', { class: 'row' },
      field('start', 'From', h('input', { type: 'datetime-local', name: 'start' })),
      field('until', 'Until', h('input', { type: 'datetime-local', name: 'until' }), 'At most 180 days after the start.')),
    field('reason', 'Reason (optional)', h('textarea', { name: 'reason', rows: 2, maxlength: 1000 }), 'Such as annual leave or a field mission. Recorded in the audit trail.'),
    userList(config, 'delegation-users'),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', id: 'create-delegation' }, 'Delegate'),
      h('button', { type: 'button', onclick: () => element.close() }, 'Close')));
  const element = h('dialog', { 'aria-labelledby': 'delegation-heading', id: 'delegation-dialog' }, form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const data = new FormData(form);
    const body = {
      toUser: String(data.get('toUser') || '').trim(),
      role: String(data.get('role') || ''),
      start: instant(String(data.get('start') || '')),
      until: instant(String(data.get('until') || '')),
      reason: String(data.get('reason') || ''),
    };
    if (everyone) body.fromUser = String(data.get('fromUser') || '').trim();
    const send = form.querySelector('#create-delegation');
    await sending(form, send, async () => {
      const made = await request('/delegations', { method: 'POST', body });
      element.close();
      await done(made);
    });
  });
  return {
    element,
    open() {
      form.reset();
      clearProblem(form);
      const now = new Date();
      form.elements.namedItem('start').value = localDateTime(now);
      form.elements.namedItem('until').value = localDateTime(new Date(now.getTime() + 7 * 86400000));
      element.showModal();
      form.elements.namedItem(everyone ? 'fromUser' : 'toUser').focus();
    },
  };
}

/** revokeDialog confirms POST /delegations/{id}/revoke, with an optional reason. */
function revokeDialog(done) {
  let delegation = null;
  const about = h('p', {});
  const form = h('form', { novalidate: true, id: 'revoke-form' },
    h('h2', { id: 'revoke-heading' }, 'End this delegation now?'),
    about, problemBox(),
    field('reason', 'Reason (optional)', h('textarea', { name: 'reason', rows: 2, maxlength: 1000 }), 'Such as back early. Recorded in the audit trail.'),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'danger', id: 'send-revoke' }, 'End now'),
      h('button', { type: 'button', onclick: () => element.close() }, 'Keep it')));
  const element = h('dialog', { 'aria-labelledby': 'revoke-heading', id: 'revoke-dialog' }, form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const reason = String(new FormData(form).get('reason') || '');
    const send = form.querySelector('#send-revoke');
    await sending(form, send, async () => {
      const ended = await request(`/delegations/${encodeURIComponent(delegation.id)}/revoke`, { method: 'POST', body: reason ? { reason } : {} });
      element.close();
      await done(ended);
    });
  });
  return {
    element,
    open(chosen) {
      delegation = chosen;
      form.reset();
      clearProblem(form);
      about.textContent = `${chosen.toUser} will no longer decide the ${humanize(chosen.role)} tasks of ${chosen.fromUser} from now on.`;
      element.showModal();
      form.elements.namedItem('reason').focus();
    },
  };
}
