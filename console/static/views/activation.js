// One activation: where it is (status, priority, steps with their times), what it holds
// (deployments, the fund release), and its whole history: the workflow's events and the audit
// trail in one timeline. The office that asked for it may cancel it here. When its workflow has
// stopped at a step (a failure the workflow does not compensate, once its retries ran out), the
// page says when, where and why in words, and offers an administrator to resume it (a redrive);
// the office may still cancel it. What the user may do comes from GET /me.

import { h, replace, humanize, money, dateTime, statusBadge, announce } from '../lib/dom.js';
import { field, problemBox, showProblem, clearProblem } from '../lib/forms.js';
import { request, me, ApiError } from '../lib/api.js';
import { inProgress } from './activations.js';

function definitionList(entries) {
  return h('dl', { class: 'facts' }, entries.filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

function stepsTable(steps) {
  if (!steps || steps.length === 0) return h('p', { class: 'empty' }, 'No step recorded yet.');
  return h('div', { class: 'table-wrap' }, h('table', { id: 'steps' },
    h('caption', { class: 'visually-hidden' }, 'Steps, in the order they happened'),
    h('thead', {}, h('tr', {}, ['Step', 'State', 'Time', 'Detail'].map((label) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, steps.map((step) => h('tr', { 'data-step': step.name },
      h('th', { scope: 'row' }, humanize(step.name)),
      h('td', {}, h('span', { class: `badge step-${step.status}` }, humanize(step.status))),
      h('td', { class: 'when' }, dateTime(step.at, true)),
      h('td', {}, step.detail || ''))))));
}

function profilesTable(activation) {
  const deployments = new Map((activation.deployments || []).map((d) => [d.profileIndex, d]));
  return h('div', { class: 'table-wrap' }, h('table', { id: 'profiles' },
    h('caption', { class: 'visually-hidden' }, 'Requested profiles and who is deployed'),
    h('thead', {}, h('tr', {}, ['#', 'Area', 'Languages', 'Start', 'Days', 'Deployed expert', 'Period'].map((label) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, (activation.profiles || []).map((profile, index) => {
      const deployment = deployments.get(index);
      return h('tr', {},
        h('td', {}, String(index + 1)),
        h('td', {}, humanize(profile.area)),
        h('td', {}, (profile.languages || []).join(', ')),
        h('td', {}, profile.startDate),
        h('td', { class: 'number' }, String(profile.days)),
        h('td', {}, deployment ? deployment.expertId : h('span', { class: 'hint' }, 'not yet')),
        h('td', {}, deployment && deployment.period ? `${deployment.period.start} – ${deployment.period.end}` : ''));
    }))));
}

function detailBlock(detail) {
  if (!detail || (typeof detail === 'object' && Object.keys(detail).length === 0)) return null;
  return h('details', { class: 'event-detail' }, h('summary', {}, 'Details'),
    h('pre', {}, JSON.stringify(detail, null, 2)));
}

function timeline(items, source) {
  const shown = items.filter((item) => source === 'all' || item.source === source);
  if (shown.length === 0) return h('p', { class: 'empty' }, 'No events.');
  // One compact row per event: time, source, type, step, actor, and the details on demand.
  return h('ol', { class: 'timeline', id: 'history' }, shown.map((item) => h('li', { class: `event source-${item.source}`, 'data-type': item.type },
    dateTime(item.time, true),
    h('span', {}, h('span', { class: `badge source-${item.source}` }, item.source === 'audit' ? 'Audit' : 'Workflow')),
    h('strong', { class: 'event-type' }, item.type),
    h('span', { class: 'event-step' }, item.step ? [h('span', { class: 'visually-hidden' }, 'Step: '), h('b', {}, item.step)] : ''),
    h('span', { class: 'event-actor' }, item.actor ? [h('span', { class: 'visually-hidden' }, 'Actor: '), h('b', {}, item.actor)] : ''),
    detailBlock(item.detail) || h('span', {}))));
}

/**
 * whyStopped says in words why a workflow stopped, from its status and its error's name (the
 * error names of the workflow's functions and of Step Functions itself).
 */
export function whyStopped(workflow) {
  const error = workflow.error || '';
  if (workflow.status === 'TIMED_OUT') return 'The workflow ran past its time limit before the activation was finished.';
  if (workflow.status === 'ABORTED') return 'The workflow was stopped by hand.';
  if (error === 'TransientError') {
    return 'A service the step depends on kept failing (the database was overloaded or unavailable), and the step\'s automatic retries ran out.';
  }
  if (error.startsWith('Lambda.')) return 'The function that runs the step could not be run (the function service failed), and the automatic retries ran out.';
  if (error === 'States.Timeout' || error === 'States.HeartbeatTimeout') return 'The step took longer than it is allowed to.';
  if (error === 'States.Runtime' || error === 'States.DataLimitExceeded') return 'The workflow met data it could not handle: a fault of the system, not of the request.';
  return 'The step failed on an error the workflow does not expect.';
}

/**
 * stoppedStep is the state where the workflow stopped: the last failure in its events before the
 * execution failed (null when the history is not known).
 */
export function stoppedStep(items) {
  const failures = (items || []).filter((item) => item.source === 'workflow' && item.step
    && /Failed$|TimedOut$/.test(item.type) && !/^Execution|^Map|^Parallel/.test(item.type));
  return failures.length ? failures[failures.length - 1].step : null;
}

/** causeText shows a failure's cause: a function's error document as its message, else as it is. */
function causeText(cause) {
  try {
    const document = JSON.parse(cause);
    if (document && typeof document === 'object') return JSON.stringify(document, null, 2);
  } catch {
    // not JSON: shown as it is
  }
  return cause;
}

/** stateWords splits a state name such as "CheckCover" into "Check cover". */
function stateWords(name) {
  const spaced = String(name).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** render draws one activation. */
export async function render(context, [id]) {
  const { main, can, poll, title } = context;
  title(`Activation ${id}`);
  // GET /me says what this user may do; the policy table of config.json is the fallback.
  let who = null;
  try {
    who = await me();
  } catch {
    who = null;
  }
  const permitted = (action) => (who ? Boolean(who.permissions && who.permissions[action]) : can(action));
  const office = who ? who.office || '' : context.user.office;
  const summary = h('section', { 'aria-labelledby': 'summary-heading' });
  const steps = h('section', { 'aria-labelledby': 'steps-heading' });
  const holdings = h('section', { 'aria-labelledby': 'holdings-heading' });
  const history = h('section', { 'aria-labelledby': 'history-heading' });
  const actions = h('div', { class: 'actions' });
  const head = h('div', { class: 'page-head' });
  // The stopped workflow: what happened (redrawn with each refresh) and the answer of a resume
  // that was refused (kept until the next try).
  const stoppedBody = h('div', {});
  const resumeProblem = problemBox();
  const stopped = h('section', { id: 'workflow-state', class: 'stopped', 'aria-labelledby': 'workflow-heading', hidden: true },
    stoppedBody, resumeProblem);
  let historySource = 'all';
  let lastHistory = [];
  let lastStatus = '';
  let wasStalled = false;
  let causeOpen = false;

  // Only a user who may cancel gets the dialog at all.
  const cancelDialog = permitted('activations:cancel') ? buildCancelDialog(id, async () => {
    await refresh();
  }) : null;
  const canResume = permitted('activations:redrive');

  const resume = async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    clearProblem(stopped);
    try {
      await request(`/activations/${encodeURIComponent(id)}/redrive`, { method: 'POST' });
      announce('The workflow is resumed from the step where it stopped.');
      await refresh();
    } catch (error) {
      button.disabled = false;
      showProblem(stopped, error instanceof ApiError ? error : new ApiError({ title: String(error) }, 0));
    }
  };

  const drawStopped = (activation, cancellable) => {
    const workflow = activation.workflow;
    const stalled = Boolean(workflow && workflow.stalled);
    if (stalled && !wasStalled) announce(`The workflow of activation ${id} has stopped.`);
    wasStalled = stalled;
    stopped.hidden = !stalled;
    if (!stalled) {
      replace(stoppedBody);
      return;
    }
    const step = stoppedStep(lastHistory);
    const holds = 'Nothing is lost: the activation keeps the money reserved for it, the experts booked and the approvals given.';
    const next = canResume
      ? 'Resume it to run the step that stopped again; the steps that completed do not run again.'
      : 'An administrator can resume it from the step where it stopped.';
    replace(stoppedBody,
      h('h2', { id: 'workflow-heading' }, 'The workflow has stopped'),
      h('p', { class: 'stopped-why' }, whyStopped(workflow)),
      definitionList([
        ['Stopped at', dateTime(workflow.stopDate)],
        ['Step', step ? stateWords(step) : null],
        ['Error', workflow.error ? h('code', {}, workflow.error) : null],
        ['Resumed before', workflow.redriveCount ? [`${workflow.redriveCount} time${workflow.redriveCount === 1 ? '' : 's'}, last at `, dateTime(workflow.redriveDate)] : null],
      ]),
      h('p', {}, `${holds} ${next}`, cancellable ? ' The office can still cancel it: compensation then returns the money and releases the experts.' : ''),
      workflow.cause ? h('details', { class: 'event-detail', id: 'workflow-cause', open: causeOpen, ontoggle: (event) => { causeOpen = event.currentTarget.open; } },
        h('summary', {}, 'Technical detail'), h('pre', {}, causeText(workflow.cause))) : null,
      canResume ? h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', id: 'redrive-activation', onclick: resume }, 'Resume (redrive)')) : null);
  };

  const drawHistory = () => {
    replace(history,
      h('h2', { id: 'history-heading' }, 'History'),
      h('p', { class: 'hint' }, 'The workflow\'s events and the audit trail (who did what, kept for years) in one timeline, oldest first.'),
      h('div', { class: 'segmented', role: 'group', 'aria-label': 'Show events from' },
        [['all', 'Everything'], ['audit', 'Audit trail'], ['workflow', 'Workflow']].map(([value, label]) => h('button', {
          type: 'button', 'aria-pressed': historySource === value ? 'true' : 'false',
          onclick: () => { historySource = value; drawHistory(); },
        }, label))),
      h('div', { class: 'timeline-head', 'aria-hidden': 'true' }, ['Time', 'Source', 'Event', 'Step', 'Actor', ''].map((label) => h('span', {}, label))),
      timeline(lastHistory, historySource));
  };

  const refresh = async () => {
    const activation = await request(`/activations/${encodeURIComponent(id)}`);
    if (!context.current()) return false;
    if (lastStatus && lastStatus !== activation.status) announce(`Activation ${id} is now ${humanize(activation.status)}.`);
    lastStatus = activation.status;
    const cancellable = cancelDialog !== null && activation.office === office
      && inProgress(activation.status) && activation.status !== 'COMPENSATING' && !activation.cancelRequested;
    const workflow = activation.workflow || null;
    replace(head,
      h('h1', {}, 'Activation ', h('span', { class: 'mono' }, activation.id)),
      h('span', { id: 'activation-status' }, statusBadge(activation.status)));
    replace(actions,
      cancellable ? h('button', { type: 'button', class: 'danger', id: 'cancel-activation', onclick: () => cancelDialog.open() }, 'Cancel activation') : null,
      inProgress(activation.status) ? h('span', { class: 'hint live' }, 'Refreshing every few seconds while in progress.') : null);
    const people = activation.peopleAffected || {};
    const total = (people.women || 0) + (people.men || 0) + (people.girls || 0) + (people.boys || 0);
    replace(summary,
      h('h2', { id: 'summary-heading' }, 'Summary'),
      definitionList([
        ['Status', statusBadge(activation.status)],
        ['Outcome', activation.outcome ? humanize(activation.outcome) : null],
        ['Reason', activation.reason || null],
        ['Cancellation', activation.cancelRequested ? 'requested' : null],
        ['Priority', `${activation.priority} / 100`],
        ['Office', activation.office],
        ['Requested by', activation.requestedBy],
        ['Duty station', `${activation.dutyStation}, ${activation.country}${activation.securityLevel ? ` (security level ${activation.securityLevel})` : ''}`],
        ['Crisis', `${humanize(activation.crisisType)}, ${humanize(activation.phase)} phase`],
        ['Amount', money(activation.amount.value, activation.amount.currency)],
        ['People affected', `${total.toLocaleString()} (women ${(people.women || 0).toLocaleString()}, men ${(people.men || 0).toLocaleString()}, girls ${(people.girls || 0).toLocaleString()}, boys ${(people.boys || 0).toLocaleString()})`],
        ['Target groups', (activation.targetGroups || []).map(humanize).join(', ') || null],
        ['Purpose', activation.purpose],
        ['Demand reference', activation.demandReference || null],
        ['Justification', activation.justification],
        ['Security clearance', activation.clearance ? `${humanize(activation.clearance.decision)} (level ${activation.clearance.level})` : null],
        ['Workflow', workflow ? h('span', { id: 'workflow-summary' }, workflow.stalled ? 'Stopped' : humanize(workflow.status),
          workflow.redriveCount ? [`, resumed ${workflow.redriveCount} time${workflow.redriveCount === 1 ? '' : 's'} (last at `, dateTime(workflow.redriveDate), ')'] : '') : null],
        ['End date', activation.endDate || null],
        ['Requested at', dateTime(activation.createdAt)],
        ['Last change', dateTime(activation.updatedAt)],
      ]));
    replace(steps, h('h2', { id: 'steps-heading' }, 'Steps'), stepsTable(activation.steps));
    const fundSteps = (activation.steps || []).filter((s) => /fund|release|reserv/i.test(s.name));
    let ledger = null;
    if (permitted('fund:read')) {
      try {
        const fund = await request('/fund', { query: { currency: activation.amount.currency, limit: 100 } });
        ledger = fund.ledger.filter((entry) => entry.activationId === activation.id);
      } catch {
        ledger = null;
      }
    }
    replace(holdings,
      h('h2', { id: 'holdings-heading' }, 'Deployments and fund release'),
      profilesTable(activation),
      h('h3', {}, 'Fund release'),
      definitionList([
        ['Requested', money(activation.amount.value, activation.amount.currency)],
        ['Fund steps', fundSteps.length ? fundSteps.map((s) => `${humanize(s.name)}: ${humanize(s.status)}${s.detail ? ` (${s.detail})` : ''}`).join('; ') : 'none yet'],
      ]),
      ledger && ledger.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'activation-ledger' },
        h('caption', {}, 'Ledger entries of this activation'),
        h('thead', {}, h('tr', {}, ['Kind', 'Amount', 'Change to available', 'By', 'At'].map((label) => h('th', { scope: 'col' }, label)))),
        h('tbody', {}, ledger.map((entry) => h('tr', {},
          h('td', {}, humanize(entry.kind)), h('td', { class: 'number' }, money(entry.amount, entry.currency)),
          h('td', { class: 'number' }, money(entry.delta, entry.currency)), h('td', {}, entry.actor), h('td', {}, dateTime(entry.at))))))) : null);
    if (permitted('activations:history')) {
      const answer = await request(`/activations/${encodeURIComponent(id)}/history`);
      lastHistory = answer.items || [];
      drawHistory();
    } else {
      replace(history);
    }
    drawStopped(activation, cancellable);
    return inProgress(activation.status);
  };

  replace(main, head, actions, stopped, h('div', { class: 'detail-grid' }, summary, h('div', {}, steps, holdings)), history, cancelDialog ? cancelDialog.element : null);
  const busy = await refresh();
  if (busy) poll(refresh, 3000);
}

function buildCancelDialog(id, done) {
  const reason = h('textarea', { name: 'reason', rows: 3, maxlength: 1000 });
  const problem = problemBox();
  const form = h('form', { method: 'dialog', novalidate: true },
    h('h2', { id: 'cancel-heading' }, 'Cancel this activation?'),
    h('p', {}, 'Compensation returns the reserved money to the fund and releases every expert booked.'),
    problem,
    field('reason', 'Reason (optional)', reason, 'Recorded in the audit trail.'),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'danger', value: 'confirm' }, 'Cancel activation'),
      h('button', { type: 'button', onclick: () => element.close() }, 'Keep it')));
  const element = h('dialog', { 'aria-labelledby': 'cancel-heading', id: 'cancel-dialog' }, form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    try {
      await request(`/activations/${encodeURIComponent(id)}/cancel`, { method: 'POST', body: reason.value ? { reason: reason.value } : {} });
      element.close();
      announce('Cancellation requested.');
      await done();
    } catch (error) {
      showProblem(form, error instanceof ApiError ? error : new ApiError({ title: String(error) }, 0));
    }
  });
  return { element, open: () => { clearProblem(form); element.showModal(); reason.focus(); } };
}
