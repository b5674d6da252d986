// The HTTP API client: every call carries the bearer token; every error is an ApiError built
// from the API's application/problem+json answer (RFC 9457), field errors included.

import { apiBase, current } from './session.js';

/** ApiError is a refused or failed call: the problem document's fields, and the HTTP status. */
export class ApiError extends Error {
  constructor(problem, status) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.type = problem.type || '';
    this.title = problem.title || `HTTP ${status}`;
    this.detail = problem.detail || '';
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

/** unauthenticatedHandler is called when the API answers 401 (the app signs the user out). */
let unauthenticatedHandler = () => {};

/** onUnauthenticated sets what happens when the API refuses the token. */
export function onUnauthenticated(handler) {
  unauthenticatedHandler = handler;
}

/** url joins the API's address, a path and query parameters (empty values left out). */
export function url(path, query = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return apiBase() + path + (text ? `?${text}` : '');
}

async function problemOf(response) {
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      return await response.json();
    } catch {
      // fall through to a problem made here
    }
  }
  return { title: response.statusText || `HTTP ${response.status}`, status: response.status };
}

/**
 * request calls the API and returns the decoded JSON answer (null for an empty one).
 * options: {method, query, body, headers, auth: false for public routes, raw: true for the
 * Response itself}.
 */
export async function request(path, options = {}) {
  const headers = { Accept: 'application/json, application/problem+json', ...(options.headers || {}) };
  const session = current();
  if (options.auth !== false && session) headers.Authorization = `Bearer ${session.token}`;
  const init = { method: options.method || 'GET', headers, cache: 'no-store' };
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(url(path, options.query), init);
  } catch {
    throw new ApiError({ title: 'The API cannot be reached', detail: `Check your connection and the API address (${apiBase() || window.location.origin}).` }, 0);
  }
  if (!response.ok) {
    const error = new ApiError(await problemOf(response), response.status);
    if (response.status === 401 && options.auth !== false) unauthenticatedHandler(error);
    throw error;
  }
  if (options.raw) return response;
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** download fetches a file with the token and hands it to the browser to save. */
export async function download(path, query, fallbackName) {
  const response = await request(path, { query, raw: true, headers: { Accept: '*/*' } });
  const disposition = response.headers.get('Content-Disposition') || '';
  const match = /filename="([^"]+)"/.exec(disposition);
  const blob = await response.blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = match ? match[1] : fallbackName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  return { name: link.download, bytes: blob.size };
}

let meCache = { token: null, value: null };

/**
 * me is GET /me for the signed-in user: who they are as the API sees them, and the scope of
 * each action the policy table lets them take ({permissions: {action: scope}}). It is asked
 * once per token; every call is still authorised by the API on its own.
 */
export async function me() {
  const session = current();
  const token = session ? session.token : null;
  if (meCache.token === token && meCache.value) return meCache.value;
  const value = await request('/me');
  meCache = { token, value };
  return value;
}

/**
 * grants says what the signed-in user may do, for offering buttons: GET /me's answer when the
 * API gives it, else the policy table of config.json (fallback, a scope function such as the
 * view context's scopeOf). permitted(action) is true for any scope; scope(action) is the scope's
 * name ("all", "own-role", "self", ...) or "none". The API still decides every call.
 */
export async function grants(fallbackScope) {
  let who = null;
  try {
    who = await me();
  } catch {
    who = null;
  }
  const scope = (action) => (who ? (who.permissions && who.permissions[action]) || 'none' : fallbackScope(action));
  return { who, scope, permitted: (action) => scope(action) !== 'none' };
}

/** idempotencyKey is a fresh key for a write that a retry must not repeat. */
export function idempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}
