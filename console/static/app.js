// The console's entry point: loads config.json, keeps the session, draws the navigation for
// what the user's roles may do, and routes between views by the URL's hash.

import { h, replace, humanize, announce } from './lib/dom.js';
import { errorPanel } from './lib/forms.js';
import { onUnauthenticated } from './lib/api.js';
import * as session from './lib/session.js';
import * as signIn from './views/signin.js';
import * as activations from './views/activations.js';
import * as activation from './views/activation.js';
import * as requestForm from './views/request.js';
import * as inbox from './views/inbox.js';
import * as auditView from './views/audit.js';
import * as fund from './views/fund.js';
import * as roster from './views/roster.js';
import * as metrics from './views/metrics.js';
import * as access from './views/access.js';

// Routes, in navigation order. action is what the policy table must grant for the entry to
// show; pattern matches the hash.
const routes = [
  { pattern: /^#\/activations\/new$/, view: requestForm, action: 'activations:create', nav: 'New request' },
  { pattern: /^#\/activations$/, view: activations, action: 'activations:read', nav: 'Activations' },
  { pattern: /^#\/activations\/([A-Za-z0-9._-]+)$/, view: activation, action: 'activations:read' },
  { pattern: /^#\/inbox$/, view: inbox, action: 'tasks:list', nav: 'Inbox' },
  { pattern: /^#\/audit$/, view: auditView, action: 'audit:search', nav: 'Audit trail' },
  { pattern: /^#\/fund$/, view: fund, action: 'fund:read', nav: 'Fund' },
  { pattern: /^#\/roster$/, view: roster, action: 'experts:read', nav: 'Roster' },
  { pattern: /^#\/metrics$/, view: metrics, action: 'metrics:read', nav: 'Metrics' },
  { pattern: /^#\/access$/, view: access, action: null, nav: 'My access' },
];

const navOrder = ['#/activations', '#/activations/new', '#/inbox', '#/audit', '#/fund', '#/roster', '#/metrics', '#/access'];

let generation = 0;
let timers = [];

function stopPolling() {
  for (const timer of timers) window.clearTimeout(timer);
  timers = [];
}

function drawChrome(current) {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (!current) {
    replace(nav);
    replace(who);
    return;
  }
  const { user } = current;
  const hash = window.location.hash;
  const links = navOrder.map((target) => {
    const route = routes.find((r) => r.pattern.test(target));
    if (!route || (route.action && !session.can(user, route.action))) return null;
    const active = hash === target || (target === '#/activations' && /^#\/activations\/(?!new$)/.test(hash));
    return h('li', {}, h('a', { href: target, 'aria-current': active ? 'page' : false }, route.nav));
  });
  replace(nav, h('ul', {}, links));
  replace(who,
    h('span', { class: 'who-name' }, user.username),
    h('span', { class: 'who-roles' }, user.roles.map(humanize).join(', ') || 'no role', user.office ? ` · ${user.office}` : ''),
    h('button', { type: 'button', class: 'link', id: 'sign-out', onclick: () => {
      session.signOut();
      window.location.hash = '#/sign-in';
    } }, 'Sign out'));
}

async function route() {
  stopPolling();
  generation += 1;
  const mine = generation;
  const main = document.getElementById('main');
  const hash = window.location.hash || '';
  const current = session.current();
  drawChrome(current);
  if (!current || hash === '#/sign-in') {
    if (current && hash === '#/sign-in') {
      window.location.hash = session.home(current.user);
      return;
    }
    document.title = 'Sign in · Fast-Track console';
    signIn.render({ main, navigate, config: session.getConfig() });
    return;
  }
  let params = null;
  const found = routes.find((r) => {
    params = r.pattern.exec(hash);
    return params !== null;
  });
  if (!found) {
    window.location.hash = session.home(current.user);
    return;
  }
  if (found.action && !session.can(current.user, found.action)) {
    replace(main, h('h1', {}, 'Not available'),
      h('p', {}, `Your role does not allow ${humanize(found.action.replace(':', ' '))}.`),
      h('p', {}, h('a', { href: session.home(current.user) }, 'Go to your start page')));
    return;
  }
  const context = {
    main,
    user: current.user,
    config: session.getConfig(),
    navigate,
    can: (action) => session.can(current.user, action),
    scopeOf: (action) => session.scopeOf(current.user, action),
    title: (text) => { document.title = `${text} · Fast-Track console`; },
    // poll calls task every interval milliseconds while this view is shown and task returns
    // true; it waits for each call to finish before scheduling the next, and skips the call
    // (but keeps polling) while the tab is hidden.
    poll: (task, interval) => {
      const tick = async () => {
        if (mine !== generation) return;
        let again = true;
        if (document.visibilityState !== 'hidden') {
          try {
            again = await task();
          } catch {
            again = true;
          }
        }
        if (again && mine === generation) timers.push(window.setTimeout(tick, interval));
      };
      timers.push(window.setTimeout(tick, interval));
    },
    current: () => mine === generation,
  };
  try {
    await found.view.render(context, params.slice(1));
    if (mine === generation) main.focus({ preventScroll: true });
  } catch (error) {
    if (mine !== generation) return;
    replace(main, h('h1', {}, 'Could not load this page'), errorPanel(error));
  }
}

function navigate(hash) {
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

async function start() {
  const main = document.getElementById('main');
  try {
    const response = await fetch('config.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
    session.useConfig(await response.json());
  } catch (error) {
    replace(main, h('h1', {}, 'The console could not start'), errorPanel(error));
    return;
  }
  onUnauthenticated(() => {
    session.signOut();
    announce('Your session has ended. Sign in again.');
    navigate('#/sign-in');
  });
  window.addEventListener('hashchange', route);
  if (!window.location.hash) {
    const current = session.current();
    window.location.replace(current ? session.home(current.user) : '#/sign-in');
    return;
  }
  route();
}

start();
