// Sign-in: on this machine, pick a demo user and get a token from the local token endpoint; on
// a deployed system, paste an ID token (from Cognito) and the API's address.

import { h, replace, humanize } from '../lib/dom.js';
import { field, problemBox, showProblem, clearProblem } from '../lib/forms.js';
import { request, ApiError } from '../lib/api.js';
import * as session from '../lib/session.js';

/** render draws the sign-in screen. */
export function render({ main, navigate, config }) {
  const demoProblem = problemBox();
  const demoUsers = config.demoUsers || [];

  const useDemo = async (user, button) => {
    clearProblem(demoSection);
    button.disabled = true;
    try {
      const answer = await request(config.tokenEndpoint, { method: 'POST', body: { username: user.username }, auth: false });
      const signed = session.signIn(answer.token);
      navigate(session.home(signed.user));
    } catch (error) {
      const problem = error instanceof ApiError ? error
        : new ApiError({ title: 'Sign-in failed', detail: String(error.message || error) }, 0);
      if (problem.status === 404 || problem.status === 405) {
        problem.detail = 'This system does not offer local sign-in. Paste a token instead.';
      }
      showProblem(demoSection, problem);
    } finally {
      button.disabled = false;
    }
  };

  const demoSection = h('form', { class: 'card', 'aria-labelledby': 'demo-heading', onsubmit: (e) => e.preventDefault() },
    h('h2', { id: 'demo-heading' }, 'Demo users on this machine'),
    h('p', { class: 'hint' }, 'Choose who you are; the local token endpoint gives you a token for that account.'),
    demoProblem,
    h('ul', { class: 'user-list' }, demoUsers.map((user) => {
      const button = h('button', { type: 'button', class: 'user-choice', 'data-username': user.username },
        h('span', { class: 'user-name' }, user.username),
        h('span', { class: 'user-detail' }, user.displayName || ''),
        h('span', { class: 'user-roles' }, user.roles.map(humanize).join(', '), user.office ? ` · ${user.office}` : ''));
      button.addEventListener('click', () => useDemo(user, button));
      return h('li', {}, button);
    })));

  const tokenInput = h('textarea', { name: 'token', rows: 4, required: true, spellcheck: 'false', autocomplete: 'off' });
  const baseInput = h('input', { name: 'apiBase', type: 'url', value: session.apiBase(), placeholder: window.location.origin, autocomplete: 'url' });
  const pasteProblem = problemBox();
  const pasteForm = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'paste-heading' },
    h('h2', { id: 'paste-heading' }, 'Sign in with a token'),
    pasteProblem,
    field('token', 'ID token', tokenInput, 'An ID token of your user pool (it carries your groups and office). It is kept in this tab only.'),
    field('apiBase', 'API address', baseInput, 'Leave empty when the API is served with this console.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  pasteForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(pasteForm);
    try {
      session.setApiBase(baseInput.value);
      const signed = session.signIn(tokenInput.value);
      navigate(session.home(signed.user));
    } catch (error) {
      showProblem(pasteForm, new ApiError({ title: 'This token cannot be used', errors: [{ field: 'token', reason: String(error.message || error) }] }, 0));
    }
  });

  replace(main,
    h('h1', {}, 'Sign in to Fast-Track'),
    h('p', { class: 'lead' }, 'Emergency response activation: country offices request, approvers decide, auditors see every step.'),
    h('div', { class: 'columns' }, demoUsers.length ? demoSection : null, pasteForm));
}
