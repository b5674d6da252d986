// What the signed-in user may do: the policy table's grants for their roles, as the API
// enforces them (the console shows and hides its actions with the same table).

import { h, replace, humanize } from '../lib/dom.js';
import { allowed } from '../lib/session.js';

const scopeWords = {
  all: 'every one',
  'own-office': 'your office\'s only',
  'own-role': 'your roles\' only',
  self: 'your own only',
};

/** render draws the user's grants. */
export function render(context) {
  const { main, user, config, title } = context;
  title('My access');
  const grants = allowed(user);
  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'My access')),
    h('dl', { class: 'facts' },
      h('dt', {}, 'User'), h('dd', {}, user.username),
      h('dt', {}, 'Roles'), h('dd', {}, user.roles.map(humanize).join(', ') || 'none the system knows'),
      h('dt', {}, 'Office'), h('dd', {}, user.office || 'none'),
      h('dt', {}, 'Token expires'), h('dd', {}, user.expires ? user.expires.toLocaleString() : 'unknown')),
    h('h2', {}, 'What your roles may do'),
    grants.length ? h('table', { id: 'grants' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Action'), h('th', { scope: 'col' }, 'On'))),
      h('tbody', {}, grants.map((g) => h('tr', { 'data-action': g.action },
        h('td', {}, humanize(g.action.replace(':', ' '))), h('td', {}, scopeWords[g.scope] || g.scope)))))
      : h('p', {}, 'Nothing: your token carries no role of the system.'),
    h('p', { class: 'hint' }, 'From the policy table the API enforces. Separation of duties applies on top: nobody decides on a request they made, and some roles not on their own office\'s.'),
    h('details', {}, h('summary', {}, 'The whole policy table'),
      h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Action'), config.roles.map((r) => h('th', { scope: 'col' }, humanize(r))))),
        h('tbody', {}, config.actions.map((a) => h('tr', {}, h('th', { scope: 'row' }, a),
          config.roles.map((r) => h('td', {}, (config.policy[r] || {})[a] || '—')))))))));
}
