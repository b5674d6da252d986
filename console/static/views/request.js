// The request form of a country office: every field of POST /activations, code lists as
// choices, the rules' limits as hints. The API's validation is the authority: the form sends
// what was typed and shows each field error the API returns next to its field.

import { h, replace, humanize, money, toMinorUnits, isoDate, announce } from '../lib/dom.js';
import { field, group, select, problemBox, showProblem, clearProblem } from '../lib/forms.js';
import { request } from '../lib/api.js';

function number(name, value = '') {
  return h('input', { name, type: 'text', inputmode: 'numeric', value, autocomplete: 'off' });
}

/** integerOrText sends a whole number as a number, and anything else as typed for the API to judge. */
function integerOrText(text, empty = 0) {
  const trimmed = String(text).trim().replace(/[,\s]/g, '');
  if (trimmed === '') return empty;
  return /^-?\d+$/.test(trimmed) && Number.isSafeInteger(Number(trimmed)) ? Number(trimmed) : text;
}

function languagesControl(config, path, chosen) {
  const boxes = config.codes.languages.map((code) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: `${path}.languages`, value: code, checked: chosen.includes(code) }), ` ${code}`));
  const other = h('input', { type: 'text', name: `${path}.otherLanguages`, placeholder: 'e.g. ht, so', autocomplete: 'off',
    'aria-label': 'Other languages, ISO 639-1 codes separated by commas' });
  return group(`${path}.languages`, 'Languages', `ISO 639-1 codes; at most ${config.limits.maxLanguages}. Others: type them, separated by commas.`,
    h('div', { class: 'checks' }, boxes), other);
}

function profileFieldset(config, index, remove) {
  const path = `profiles[${index}]`;
  return h('fieldset', { class: 'field group profile', 'data-field': path, 'data-index': index },
    h('legend', {}, `Expert profile ${index + 1}`),
    h('p', { class: 'field-error', hidden: true }),
    h('div', { class: 'row' },
      field(`${path}.area`, 'Technical area', select(`${path}.area`, config.codes.areas, { blank: 'Choose an area' })),
      field(`${path}.startDate`, 'Start date', h('input', { type: 'date', name: `${path}.startDate`, value: isoDate(14) }),
        'Not in the past.'),
      field(`${path}.days`, 'Days', number(`${path}.days`, '30'), `1 to ${config.limits.maxDays}.`)),
    languagesControl(config, path, ['en']),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'link', onclick: remove }, `Remove profile ${index + 1}`)));
}

/** render draws the form. */
export function render(context) {
  const { main, config, user, navigate, title } = context;
  title('New activation request');
  const problem = problemBox();
  const currencies = Object.keys(config.fund.currencies).sort();
  const stationSelect = select('dutyStation', [], { blank: 'Choose a duty station' });
  // A country office requests for its own country only; the central task team (office HQ),
  // or anyone without an office of a listed country, chooses among all.
  const own = config.countries.filter((c) => c.code === user.office);
  const requestable = own.length ? own : config.countries;
  const countrySelect = select('country', requestable.map((c) => c.code), {
    blank: 'Choose a country', value: user.office,
    labels: (code) => `${(config.countries.find((c) => c.code === code) || {}).name || code} (${code})` });
  const currencySelect = select('amount.currency', currencies, { blank: null, value: currencies.includes('USD') ? 'USD' : currencies[0], labels: (c) => c });
  const amountHint = h('span', {});
  const profiles = h('div', { class: 'profiles' });
  let profileCount = 0;

  const fillStations = () => {
    const stations = config.dutyStations.filter((s) => s.country === countrySelect.value);
    replace(stationSelect, h('option', { value: '' }, stations.length ? 'Choose a duty station' : 'No known duty station'),
      stations.map((s) => h('option', { value: s.name }, `${s.name} (security level ${s.level}, ${config.codes.securityLevels[s.level - 1] || ''})`)));
  };
  const fillAmountHint = () => {
    const tiers = config.fund.currencies[currencySelect.value];
    amountHint.textContent = tiers
      ? `In ${currencySelect.value}, not cents. Up to ${money(tiers.autoRelease, currencySelect.value)} is released at once; above it finance approves, above ${money(tiers.seniorManagement, currencySelect.value)} senior management too; at most ${money(tiers.cap, currencySelect.value)}.`
      : '';
  };
  const renumber = () => {
    const sets = [...profiles.querySelectorAll('fieldset.profile')];
    profileCount = sets.length;
    // Rebuild rather than rename: every name, id and path follows the index.
    const values = sets.map(readProfile);
    replace(profiles);
    values.forEach((value, index) => addProfile(value, index));
  };
  const addProfile = (value, index = profiles.querySelectorAll('fieldset.profile').length) => {
    const set = profileFieldset(config, index, () => { set.remove(); renumber(); });
    if (value) writeProfile(set, value);
    profiles.appendChild(set);
    profileCount = profiles.querySelectorAll('fieldset.profile').length;
    return set;
  };

  const form = h('form', { id: 'request-form', novalidate: true, 'aria-labelledby': 'request-heading' },
    problem,
    h('fieldset', { class: 'section' }, h('legend', {}, 'Where and what'),
      h('div', { class: 'row' },
        field('country', 'Country', countrySelect, 'The country of the duty station.'),
        field('dutyStation', 'Duty station', stationSelect, 'Its security level decides whether security must clear the deployment.')),
      h('div', { class: 'row' },
        field('crisisType', 'Crisis type', select('crisisType', config.codes.crisisTypes, { blank: 'Choose a crisis type' })),
        field('phase', 'Phase', select('phase', config.codes.phases, { blank: 'Choose a phase', value: 'response' })))),
    h('fieldset', { class: 'section' }, h('legend', {}, 'People affected'),
      h('p', { class: 'hint' }, `Numbers of people, 0 if unknown; at most ${Number(config.limits.maxPeopleEach).toLocaleString()} each.`),
      h('div', { class: 'row four' }, ['women', 'men', 'girls', 'boys'].map((k) => field(`peopleAffected.${k}`, humanize(k), number(`peopleAffected.${k}`, '0')))),
      group('targetGroups', 'Target groups', `At most ${config.limits.maxTargetGroups}.`,
        h('div', { class: 'checks' }, config.codes.targetGroups.map((code) => h('label', { class: 'check' },
          h('input', { type: 'checkbox', name: 'targetGroups', value: code }), ` ${humanize(code)}`))))),
    h('fieldset', { class: 'section' }, h('legend', {}, 'Money from the rapid action fund'),
      h('div', { class: 'row' },
        field('amount.value', 'Amount', h('input', { type: 'text', name: 'amount.value', inputmode: 'decimal', autocomplete: 'off', placeholder: '120000.00' }), amountHint),
        field('amount.currency', 'Currency', currencySelect))),
    h('fieldset', { class: 'section' }, h('legend', {}, 'Why'),
      field('purpose', 'Purpose', h('textarea', { name: 'purpose', rows: 2 }), `What the money and experts are for; at most ${config.limits.maxPurpose} characters.`),
      field('demandReference', 'Demand reference (optional)', h('input', { type: 'text', name: 'demandReference', autocomplete: 'off' }),
        `The constituents' request this answers; at most ${config.limits.maxDemandReference} characters.`),
      field('justification', 'Justification', h('textarea', { name: 'justification', rows: 4 }), `Why the fast track; at most ${config.limits.maxJustification} characters.`)),
    h('fieldset', { class: 'section' }, h('legend', {}, 'Experts needed'),
      h('p', { class: 'hint' }, `One profile per expert; at most ${config.limits.maxProfiles}.`),
      h('div', { class: 'field', 'data-field': 'profiles' }, h('p', { class: 'field-error', hidden: true }), profiles),
      h('div', { class: 'actions' }, h('button', { type: 'button', id: 'add-profile', onclick: () => addProfile().querySelector('select').focus() }, 'Add a profile'))),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', id: 'submit-request' }, 'Submit request'),
      h('a', { href: '#/activations', class: 'button' }, 'Back to the list')));

  countrySelect.addEventListener('change', fillStations);
  currencySelect.addEventListener('change', fillAmountHint);
  fillStations();
  fillAmountHint();
  addProfile();

  let attempt = { body: '', key: '' };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const body = readForm(form);
    const text = JSON.stringify(body);
    // A retry of the same body keeps its Idempotency-Key, so a request whose answer was lost
    // does not make a second activation; a changed body is a new request.
    if (attempt.body !== text) attempt = { body: text, key: crypto.randomUUID() };
    const submit = form.querySelector('#submit-request');
    submit.disabled = true;
    try {
      const activation = await request('/activations', { method: 'POST', body, headers: { 'Idempotency-Key': attempt.key } });
      announce(`Activation ${activation.id} requested: ${humanize(activation.status)}.`);
      navigate(`#/activations/${activation.id}`);
    } catch (error) {
      showProblem(form, error);
    } finally {
      submit.disabled = false;
    }
  });

  replace(main,
    h('div', { class: 'page-head' }, h('h1', { id: 'request-heading' }, 'New activation request')),
    h('p', { class: 'lead' }, `For office ${user.office || '(none on your token)'}. The office comes from your sign-in, not from the form.`),
    form);
}

function readProfile(set) {
  const index = set.dataset.index;
  const path = `profiles[${index}]`;
  const value = (name) => (set.querySelector(`[name="${CSS.escape(`${path}.${name}`)}"]`) || {}).value || '';
  const languages = [...set.querySelectorAll(`input[name="${CSS.escape(`${path}.languages`)}"]:checked`)].map((box) => box.value);
  for (const code of value('otherLanguages').split(',')) {
    const trimmed = code.trim();
    if (trimmed && !languages.includes(trimmed)) languages.push(trimmed);
  }
  return { area: value('area'), languages, startDate: value('startDate'), days: integerOrText(value('days'), 0) };
}

function writeProfile(set, profile) {
  const path = `profiles[${set.dataset.index}]`;
  const named = (name) => set.querySelector(`[name="${CSS.escape(`${path}.${name}`)}"]`);
  named('area').value = profile.area;
  named('startDate').value = profile.startDate;
  named('days').value = String(profile.days);
  const other = [];
  for (const box of set.querySelectorAll(`input[name="${CSS.escape(`${path}.languages`)}"]`)) box.checked = false;
  for (const code of profile.languages) {
    const box = set.querySelector(`input[name="${CSS.escape(`${path}.languages`)}"][value="${CSS.escape(code)}"]`);
    if (box) box.checked = true;
    else other.push(code);
  }
  named('otherLanguages').value = other.join(', ');
}

/** readForm builds the body of POST /activations from the form, as typed. */
function readForm(form) {
  const data = new FormData(form);
  const text = (name) => String(data.get(name) || '');
  const currency = text('amount.currency');
  const typedAmount = text('amount.value');
  const minor = toMinorUnits(typedAmount, currency);
  return {
    country: text('country'),
    dutyStation: text('dutyStation'),
    crisisType: text('crisisType'),
    phase: text('phase'),
    peopleAffected: Object.fromEntries(['women', 'men', 'girls', 'boys'].map((k) => [k, integerOrText(text(`peopleAffected.${k}`))])),
    targetGroups: data.getAll('targetGroups').map(String),
    amount: { value: minor === null ? (typedAmount.trim() === '' ? 0 : typedAmount) : minor, currency },
    purpose: text('purpose'),
    profiles: [...form.querySelectorAll('fieldset.profile')].map(readProfile),
    demandReference: text('demandReference'),
    justification: text('justification'),
  };
}
