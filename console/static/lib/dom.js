// Small DOM and formatting helpers. Everything is built with createElement and textContent:
// no HTML strings, so nothing the API returns can inject markup.

/**
 * h builds an element: h('a', {href: '#/x', class: 'btn'}, 'text', child, ...).
 * Attributes starting with "on" become listeners; boolean true sets an empty attribute;
 * false, null and undefined leave it out. Children may be strings, nodes, arrays or null.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else if (child instanceof Node) element.appendChild(child);
    else element.appendChild(document.createTextNode(String(child)));
  }
}

/** clear removes every child of element and appends the new ones. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** humanize turns a code such as "natural_disaster" or "senior-management" into words. */
export function humanize(code) {
  if (!code) return '';
  const words = String(code).replace(/[_-]+/g, ' ').toLowerCase().replace(/\bhiv\b/g, 'HIV').replace(/^hr\b/, 'HR');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const exponents = { BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0,
  VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0, BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3 };

/** currencyExponent is the number of decimals of the currency's minor unit (as shared/domain). */
export function currencyExponent(currency) {
  return Object.prototype.hasOwnProperty.call(exponents, currency) ? exponents[currency] : 2;
}

/**
 * money formats minor units exactly (integer arithmetic on a BigInt, never a float):
 * money(12000000, 'USD') is "120,000.00 USD".
 */
export function money(value, currency) {
  if (value === null || value === undefined || value === '') return '';
  const exponent = currencyExponent(currency);
  let units = BigInt(value);
  const negative = units < 0n;
  if (negative) units = -units;
  const divisor = 10n ** BigInt(exponent);
  const whole = (units / divisor).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = exponent > 0 ? '.' + (units % divisor).toString().padStart(exponent, '0') : '';
  return `${negative ? '-' : ''}${whole}${fraction} ${currency || ''}`.trim();
}

/**
 * toMinorUnits parses an amount typed in major units ("120000", "120,000.50") into minor units
 * as a Number, exactly (string arithmetic). It returns null for text that is not an amount; the
 * server still checks the value.
 */
export function toMinorUnits(text, currency) {
  const exponent = currencyExponent(currency);
  const cleaned = String(text).trim().replace(/[,\s]/g, '');
  const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (!match) return null;
  const fraction = match[3] || '';
  if (fraction.length > exponent) return null;
  const digits = match[2] + fraction.padEnd(exponent, '0');
  const value = BigInt(match[1] + digits);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(value);
}

/**
 * dateTime formats an RFC 3339 time in the user's locale, with the UTC time as a tooltip;
 * short writes the date in figures, for tables.
 */
export function dateTime(value, short = false) {
  if (!value) return h('span', {}, '—');
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1971) return h('span', {}, '—');
  return h('time', { datetime: date.toISOString(), title: date.toISOString() },
    date.toLocaleString(undefined, { dateStyle: short ? 'short' : 'medium', timeStyle: 'medium' }));
}

/** duration says how long a number of seconds is, in words: "3 h 20 min", "45 s". */
export function duration(seconds) {
  const s = Math.abs(Math.trunc(seconds));
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min`;
  return `${s} s`;
}

/** timeLeft describes the time to a deadline: "12 h 5 min left" or "overdue by 2 h 0 min". */
export function timeLeft(seconds) {
  return seconds >= 0 ? `${duration(seconds)} left` : `overdue by ${duration(seconds)}`;
}

/** statusBadge shows an activation or task status with a colour and its name in words. */
export function statusBadge(status) {
  return h('span', { class: `badge status-${String(status || '').toLowerCase()}` }, humanize(status));
}

/** announce tells screen readers about a change (the page's polite live region). */
export function announce(text) {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  window.setTimeout(() => { region.textContent = text; }, 50);
}

/** isoDate is a YYYY-MM-DD date some days from today (local calendar). */
export function isoDate(daysFromToday = 0) {
  const date = new Date();
  date.setDate(date.getDate() + daysFromToday);
  const month = String(date.getMonth() + 1).padStart(2, '0');
  const day = String(date.getDate()).padStart(2, '0');
  return `${date.getFullYear()}-${month}-${day}`;
}
