// The signed-in user: their token, the claims the console reads from it, and what the policy
// table lets their roles do. The console does not verify the token (the API does, on every
// request); the claims only decide what the console offers.

const tokenKey = 'fasttrack.token';
const apiBaseKey = 'fasttrack.apiBase';

let config = null;

/** useConfig keeps config.json (policy table, code lists, hints) for the session's checks. */
export function useConfig(document) {
  config = document;
}

/** getConfig returns config.json as loaded. */
export function getConfig() {
  return config;
}

/** decodeClaims reads a JWT's payload without verifying it; null if it is not a JWT. */
export function decodeClaims(token) {
  const parts = String(token || '').trim().split('.');
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

/** principalOf is the caller as the API sees them (shared/auth Claims.Principal). */
export function principalOf(claims) {
  const known = config ? config.roles : [];
  const groups = Array.isArray(claims['cognito:groups']) ? claims['cognito:groups'] : [];
  return {
    subject: claims.sub || '',
    username: claims['cognito:username'] || claims.sub || '',
    office: claims['custom:office'] || '',
    roles: groups.filter((group) => known.includes(group)),
    expires: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null,
  };
}

/** The current session: {token, user} or null. */
export function current() {
  const token = sessionStorage.getItem(tokenKey);
  if (!token) return null;
  const claims = decodeClaims(token);
  if (!claims) return null;
  const user = principalOf(claims);
  if (user.expires && user.expires.getTime() <= Date.now()) {
    signOut();
    return null;
  }
  return { token, user };
}

/** signIn keeps a token for this browser tab (sessionStorage: gone when the tab closes). */
export function signIn(token) {
  const claims = decodeClaims(token);
  if (!claims) throw new Error('This is not a JSON Web Token (three dot-separated parts).');
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) throw new Error('This token has expired.');
  sessionStorage.setItem(tokenKey, token.trim());
  return current();
}

/** signOut forgets the token. */
export function signOut() {
  sessionStorage.removeItem(tokenKey);
}

/** apiBase is the API's address ('' for this origin): the user's choice, else config.json's. */
export function apiBase() {
  const chosen = localStorage.getItem(apiBaseKey);
  if (chosen !== null) return chosen;
  return config && config.apiBase ? config.apiBase : '';
}

/** setApiBase remembers the API's address for this browser ('' for this origin). */
export function setApiBase(base) {
  const trimmed = String(base || '').trim().replace(/\/+$/, '');
  if (trimmed === '' || trimmed === (config && config.apiBase)) localStorage.removeItem(apiBaseKey);
  else localStorage.setItem(apiBaseKey, trimmed);
}

const scopes = ['none', 'self', 'own-role', 'own-office', 'all'];

/** scopeOf is the widest scope the user's roles have for an action (shared/auth ScopeOf). */
export function scopeOf(user, action) {
  let widest = 'none';
  for (const role of user.roles) {
    const scope = (config.policy[role] || {})[action] || 'none';
    if (scopes.indexOf(scope) > scopes.indexOf(widest)) widest = scope;
  }
  return widest;
}

/** can says whether the user may do an action on at least some resources. */
export function can(user, action) {
  return scopeOf(user, action) !== 'none';
}

/** allowed lists the actions the user may do, with their scopes, in the table's order. */
export function allowed(user) {
  return config.actions.map((action) => ({ action, scope: scopeOf(user, action) }))
    .filter((grant) => grant.scope !== 'none');
}

/** home is where a user lands after signing in: their role's main work. */
export function home(user) {
  if (can(user, 'activations:create')) return '#/activations';
  if (can(user, 'tasks:decide')) return '#/inbox';
  if (can(user, 'audit:search')) return '#/audit';
  if (can(user, 'activations:read')) return '#/activations';
  return '#/access';
}
