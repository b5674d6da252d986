// The approvers' inbox: the tasks of the caller's roles, open first, by priority and deadline,
// with the time left and the summary needed to decide; approve or reject with a comment.
// Administrators reassign an open task to one person; approvers delegate their tasks for a
// period and see their delegations (views/delegations.js). What is offered comes from GET /me.

import { h, replace, humanize, money, dateTime, statusBadge, timeLeft, announce } from '../lib/dom.js';
import { field, group, select, problemBox, showProblem, clearProblem, sending } from '../lib/forms.js';
import { request, grants } from '../lib/api.js';
import { reassignDialog, delegationSection } from './delegations.js';

/** decided words a decision taken ("Approved by ...", not the verb sent, "Approve by ..."). */
const decided = (outcome) => ({ approve: 'Approved', reject: 'Rejected' }[outcome] || humanize(outcome));

/** render draws the inbox. */
export async function render(context) {
  const { main, config, user, scopeOf, poll, title } = context;
  title('Inbox');
  const { who, scope, permitted } = await grants(scopeOf);
  const mayDecide = permitted('tasks:decide');
  const mayReassign = permitted('tasks:reassign');
  const everyRole = scope('tasks:list') === 'all';
  const roles = everyRole ? config.codes.approverRoles : config.codes.approverRoles.filter((r) => user.roles.includes(r));
  const filters = { status: 'OPEN', role: '', country: '', crisisType: '', dueBefore: '' };
  const list = h('ol', { class: 'tasks', id: 'task-list' });
  const count = h('p', { class: 'hint', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', hidden: true }, 'Show more');
  let items = [];
  let next = '';
  let loadedAt = Date.now();
  let drawn = { signature: null, at: 0 };

  const dialog = buildDecisionDialog(config, async (task, outcome) => {
    announce(`Task ${humanize(task.kind)} ${outcome === 'approve' ? 'approved' : 'rejected'}.`);
    await load(false);
  });
  const reassign = mayReassign ? reassignDialog(config, async (task) => {
    announce(`Task ${humanize(task.kind)} reassigned to ${task.assignee}.`);
    await load(false);
  }) : null;
  // Approvers delegate their own roles' tasks; administrators any approver role's.
  const delegationRoles = scope('delegations:create') === 'all' ? config.codes.approverRoles
    : config.codes.approverRoles.filter((r) => user.roles.includes(r));
  const delegations = permitted('delegations:create') || permitted('delegations:list')
    ? delegationSection({ config, who, roles: delegationRoles, scope, permitted, user }) : null;

  const card = (task) => {
    const summary = task.summary || {};
    const secondsLeft = task.timeLeftSeconds - Math.round((Date.now() - loadedAt) / 1000);
    const urgent = task.status === 'OPEN' && secondsLeft < 4 * 3600;
    // Nobody decides on a request they made; the API refuses it too, the console just says so.
    const ownRequest = task.requestedBy && (task.requestedBy === user.subject || task.requestedBy === user.username);
    const decidable = mayDecide && task.status === 'OPEN' && user.roles.includes(task.role) && secondsLeft > 0 && !ownRequest;
    return h('li', { class: `task${urgent ? ' urgent' : ''}`, 'data-task': task.id, 'data-activation': task.activationId },
      h('div', { class: 'task-head' },
        h('h2', {}, humanize(task.kind)),
        statusBadge(task.status),
        h('span', { class: 'badge role' }, humanize(task.role)),
        task.escalationLevel > 0 ? h('span', { class: 'badge escalated' }, `escalation ${task.escalationLevel}`) : null),
      h('dl', { class: 'facts compact' },
        h('dt', {}, 'Activation'), h('dd', {}, h('a', { href: `#/activations/${task.activationId}` }, task.activationId)),
        h('dt', {}, 'Where'), h('dd', {}, `${summary.dutyStation || ''}, ${summary.country || ''}${summary.securityLevel ? ` (level ${summary.securityLevel})` : ''}`),
        h('dt', {}, 'Crisis'), h('dd', {}, `${humanize(summary.crisisType)}${summary.phase ? `, ${humanize(summary.phase)}` : ''}`),
        h('dt', {}, 'Amount'), h('dd', {}, summary.amount ? money(summary.amount.value, summary.amount.currency) : ''),
        summary.peopleAffected ? [h('dt', {}, 'People affected'), h('dd', {}, Number(summary.peopleAffected).toLocaleString())] : null,
        summary.profiles ? [h('dt', {}, 'Experts'), h('dd', {}, String(summary.profiles))] : null,
        h('dt', {}, 'Priority'), h('dd', {}, `${task.priority} / 100`),
        h('dt', {}, 'Office'), h('dd', {}, task.office || ''),
        h('dt', {}, 'Deadline'), h('dd', {}, dateTime(task.deadline), ' ',
          task.status === 'OPEN' ? h('span', { class: `time-left${secondsLeft < 0 ? ' overdue' : ''}` }, `(${timeLeft(secondsLeft)})`) : null),
        task.assignee ? [h('dt', {}, 'Assigned to'), h('dd', {}, task.assignee)] : null,
        task.decision ? [h('dt', {}, 'Decision'), h('dd', {}, `${decided(task.decision.decision)} by ${task.decision.actor}`,
          task.decision.onBehalfOf ? ` for ${task.decision.onBehalfOf}` : '', ', ', dateTime(task.decision.at),
          task.decision.comment ? h('q', {}, task.decision.comment) : null)] : null),
      summary.purpose ? h('p', { class: 'purpose' }, h('b', {}, 'Purpose: '), summary.purpose) : null,
      summary.justification ? h('p', { class: 'purpose' }, h('b', {}, 'Justification: '), summary.justification) : null,
      decidable || (reassign && task.status === 'OPEN') ? h('div', { class: 'actions' },
        decidable ? h('button', { type: 'button', class: 'primary decide', onclick: () => dialog.open(task) }, 'Decide…') : null,
        reassign && task.status === 'OPEN' ? h('button', { type: 'button', class: 'reassign', onclick: () => reassign.open(task) }, 'Reassign…') : null) : null,
      ownRequest && task.status === 'OPEN' ? h('p', { class: 'hint' }, 'You made this request, so another approver must decide it.') : null);
  };

  const draw = () => {
    replace(list, items.length ? items.map(card) : h('li', { class: 'empty' }, filters.status === 'OPEN' ? 'No open task. Nothing waits for you.' : 'No task matches.'));
    more.hidden = !next;
    count.textContent = `${items.length} task${items.length === 1 ? '' : 's'} shown${next ? ' (more available)' : ''}.`;
  };

  const load = async (append) => {
    const query = { ...filters, limit: 25 };
    if (append) query.cursor = next;
    const page = await request('/tasks', { query });
    if (!context.current()) return false;
    const fresh = append ? items.concat(page.items) : page.items;
    const signature = fresh.map((t) => `${t.id}/${t.status}/${t.updatedAt}`).join(',');
    // A refresh that changes nothing redraws only once a minute (for the time left), so that
    // the list does not move under the keyboard focus every few seconds.
    if (!append && signature === drawn.signature && Date.now() - drawn.at < 60000) return true;
    loadedAt = Date.now();
    items = fresh;
    next = page.next || '';
    drawn = { signature, at: loadedAt };
    draw();
    return true;
  };

  const dueInput = h('input', { type: 'datetime-local', name: 'dueBefore' });
  const problem = problemBox();
  const form = h('form', { class: 'filters', novalidate: true, 'aria-label': 'Filter tasks' },
    problem,
    field('status', 'Status', select('status', config.codes.taskStatuses, { blank: 'Any status', value: 'OPEN' })),
    roles.length > 1 ? field('role', 'Role', select('role', roles, { blank: everyRole ? 'All roles' : 'All my roles' })) : null,
    field('country', 'Country', select('country', config.countries.map((c) => c.code), { blank: 'Any country', labels: (c) => c })),
    field('crisisType', 'Crisis type', select('crisisType', config.codes.crisisTypes, { blank: 'Any crisis type' })),
    field('dueBefore', 'Due before', dueInput),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Filter')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const data = new FormData(form);
    for (const key of Object.keys(filters)) filters[key] = String(data.get(key) || '');
    if (filters.dueBefore) {
      const due = new Date(filters.dueBefore);
      filters.dueBefore = Number.isNaN(due.getTime()) ? filters.dueBefore : due.toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    try {
      await load(false);
    } catch (error) {
      showProblem(form, error);
    }
  });
  more.addEventListener('click', () => load(true).catch((error) => showProblem(form, error)));

  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Inbox')),
    h('p', { class: 'lead' }, roles.length
      ? `Approval tasks for ${roles.map(humanize).join(', ')}: open first, by priority, then deadline.`
      : 'Approval tasks.'),
    form, count, list, more, dialog.element, reassign ? reassign.element : null,
    delegations ? delegations.element : null);
  await load(false);
  if (delegations) await delegations.load();
  // Tasks arrive as workflows reach their approvals; keep the first page fresh.
  poll(async () => (next && items.length > 25 ? false : load(false)), 5000);
}

function buildDecisionDialog(config, done) {
  let task = null;
  const heading = h('h2', { id: 'decide-heading' }, 'Decide');
  const context = h('p', {});
  const comment = h('textarea', { name: 'comment', rows: 4, maxlength: config.limits.maxComment });
  const problem = problemBox();
  const choice = (value, label) => h('label', { class: 'check' }, h('input', { type: 'radio', name: 'decision', value }), ` ${label}`);
  const form = h('form', { novalidate: true },
    heading, context, problem,
    group('decision', 'Decision', '', h('div', { class: 'checks' }, choice('approve', 'Approve'), choice('reject', 'Reject'))),
    field('comment', 'Comment', comment, `Required to reject; at most ${config.limits.maxComment} characters. Recorded in the audit trail.`),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', id: 'send-decision' }, 'Send decision'),
      h('button', { type: 'button', onclick: () => element.close() }, 'Close')));
  const element = h('dialog', { 'aria-labelledby': 'decide-heading', id: 'decide-dialog' }, form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const data = new FormData(form);
    const decision = String(data.get('decision') || '');
    const send = form.querySelector('#send-decision');
    await sending(form, send, async () => {
      await request(`/tasks/${encodeURIComponent(task.id)}/decision`, { method: 'POST', body: { decision, comment: comment.value } });
      element.close();
      await done(task, decision);
    });
  });
  return {
    element,
    open(chosen) {
      task = chosen;
      form.reset();
      clearProblem(form);
      heading.textContent = `Decide: ${humanize(chosen.kind)}`;
      const s = chosen.summary || {};
      context.textContent = `Activation ${chosen.activationId}: ${s.dutyStation || ''}, ${s.country || ''}; ${s.amount ? money(s.amount.value, s.amount.currency) : ''}.`;
      element.showModal();
      form.querySelector('input[name="decision"]').focus();
    },
  };
}
