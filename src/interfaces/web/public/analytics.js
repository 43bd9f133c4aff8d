/* global document, Chart, console */
// (Browser globals declared for ESLint: this file runs in the page; Chart comes from /vendor/chart.umd.min.js.)
import { api, ApiError, query, session, signInOptions, signOutStaff, staffSession } from './api.js';

const $ = (id) => document.getElementById(id);

/** Charts are redrawn in place; animation off, so what is shown is final at once (and in screenshots). */
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = 'system-ui, sans-serif';
const ACCENT = '#1f5fbf';
/** Months whose answers include undated ones (dated when imported). */
const UNDATED = '#b3261e';
const charts = new Map();

function draw(id, config) {
  charts.get(id)?.destroy();
  charts.set(id, new Chart($(id), config));
}

const barChart = (labels, label, data, extra = {}) => ({
  type: 'bar',
  data: { labels, datasets: [{ label, data, backgroundColor: ACCENT }] },
  options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } }, ...extra },
});

/** A date input's day as an instant: the start of the day for `from`, its last second for `to` and `asOf`. */
function instant(name, day) {
  if (!day) return undefined;
  return name === 'from' ? `${day}T00:00:00Z` : `${day}T23:59:59Z`;
}

/** The form's inputs by name: dates as instants, other values as typed (left out when empty). */
function formParams(form) {
  const params = {};
  for (const input of form.querySelectorAll('input')) {
    params[input.name] = input.type === 'date' ? instant(input.name, input.value) : input.value || undefined;
  }
  return params;
}

const percent = (share) => (share === null || share === undefined ? '–' : `${(100 * share).toFixed(1)}%`);
const count = (value) => value.toLocaleString('en-GB');

function leftOut(answer) {
  const out = answer.leftOutWithoutConsent ?? {};
  const parts = [];
  if (out.analytics) parts.push(`${count(out.analytics)} without analytics consent`);
  if (out.profiling) parts.push(`${count(out.profiling)} without profiling consent`);
  return parts.length ? ` Left out: ${parts.join(', ')}.` : '';
}

function setStatus(panel, text) {
  document.querySelector(`[data-status="${panel}"]`).textContent = text;
}

// ---- panels ------------------------------------------------------------------------------------------

const PANELS = {
  async funnel(params) {
    const answer = await api(
      `/v1/analytics/funnel${query({ firstSeenFrom: params.from, firstSeenTo: params.to })}`,
    );
    draw(
      'funnel-chart',
      barChart(
        answer.stages.map((s) => s.stage),
        'customers',
        answer.stages.map((s) => s.customers),
      ),
    );
    const conversion = answer.stages
      .slice(1)
      .map((s) => `${s.stage} ${percent(s.conversionFromPrevious)}`)
      .join(' · ');
    return `${count(answer.cohort.customers)} customers. Conversion: ${conversion}.${leftOut(answer)}`;
  },

  async loyalty(params) {
    const answer = await api(`/v1/analytics/loyalty${query({ asOf: params.asOf })}`);
    draw(
      'loyalty-chart',
      barChart(
        answer.histogram.map((band) => `${band.from}-${band.to}`),
        'customers',
        answer.histogram.map((b) => b.customers),
      ),
    );
    const mean = answer.meanScore === null ? '–' : answer.meanScore.toFixed(1);
    return `${count(answer.customers)} customers, mean score ${mean}; gold ${count(answer.tiers.gold)}, silver ${count(answer.tiers.silver)}, bronze ${count(answer.tiers.bronze)}.${leftOut(answer)}`;
  },

  async rfm(params) {
    const answer = await api(`/v1/analytics/rfm${query({ asOf: params.asOf })}`);
    renderRfmGrid(answer);
    renderSegments(answer);
    return `${count(answer.customers)} customers with a segment as of ${answer.asOf.slice(0, 10)} (${count(answer.population)} buyers ranked).${leftOut(answer)}`;
  },

  async cohorts(params) {
    const answer = await api(`/v1/analytics/cohorts${query(params)}`);
    renderCohorts(answer);
    return `${count(answer.customers)} customers in ${answer.cohorts.length} cohorts.${leftOut(answer)}`;
  },

  async nps(params) {
    const answer = await api(`/v1/analytics/satisfaction${query(params)}`);
    // A month holding answers whose source had no date is when they were recorded, not when they were given.
    const undated = answer.months.filter((m) => m.undatedAnswers > 0);
    draw('nps-chart', {
      type: 'line',
      data: {
        labels: answer.months.map((m) => (m.undatedAnswers > 0 ? `${m.month} (undated)` : m.month)),
        datasets: [
          {
            label: 'NPS',
            data: answer.months.map((m) => m.nps.score),
            borderColor: ACCENT,
            backgroundColor: ACCENT,
            pointStyle: answer.months.map((m) => (m.undatedAnswers > 0 ? 'crossRot' : 'circle')),
            pointRadius: answer.months.map((m) => (m.undatedAnswers > 0 ? 8 : 3)),
            pointBorderColor: answer.months.map((m) => (m.undatedAnswers > 0 ? UNDATED : ACCENT)),
          },
        ],
      },
      options: { plugins: { legend: { display: false } }, scales: { y: { min: -100, max: 100 } } },
    });
    const overall = answer.overall;
    const nps = overall.nps.score === null ? '–' : overall.nps.score.toFixed(1);
    const csat =
      overall.csat.mean === null
        ? '–'
        : `${overall.csat.mean.toFixed(2)} (${percent(overall.csat.satisfiedShare)} of ${count(overall.csat.answers)} answers 4-5)`;
    const ces = overall.ces.mean === null ? '–' : overall.ces.mean.toFixed(2);
    const undatedNote = undated.length
      ? ` ${count(answer.undatedAnswers)} answers had no date in their source and are dated when they were imported: ${undated.map((m) => m.month).join(', ')}, marked (undated) and ×.`
      : '';
    return `NPS ${nps} over ${count(overall.nps.answers)} answers; CSAT ${csat}; CES ${ces}.${undatedNote}${leftOut(answer)}`;
  },

  async risk(params) {
    const answer = await api(`/v1/analytics/predictions/customers${query({ ...params, limit: 20 })}`);
    renderRisk(answer);
    const value = answer.predictions.reduce((sum, c) => sum + c.spend, 0);
    return `${count(answer.customers)} customers at most ${percent(Number(params.maxPAlive ?? 1))} likely still customers as of ${answer.asOf.slice(0, 10)} (${MODEL_NAMES[answer.model]}, models stored ${answer.refreshedAt.slice(0, 10)}); the ${answer.predictions.length} shown spent ${decimal(value)} ${answer.currency}.${leftOut(answer)}`;
  },

  async backtest(params) {
    if (!params.calibrationEnd || !params.holdoutEnd) {
      return 'Choose the instant to fit as of and the end of the period to compare with, then Show.';
    }
    const answer = await api(`/v1/analytics/predictions/backtest${query(params)}`);
    renderBacktest(answer);
    const { purchases, correlation, customers } = answer.backtest;
    const expected = Object.entries(purchases.expected)
      .map(
        ([model, value]) => `${MODEL_NAMES[model]} ${decimal(value, 0)} (r = ${decimal(correlation[model])})`,
      )
      .join(', ');
    return `${count(customers)} customers: ${count(purchases.actual)} purchases after the fit; expected ${expected}.${leftOut(answer.fit)}`;
  },

  async rules(params) {
    const answer = await api(`/v1/analytics/predictions/rules${query(params)}`);
    renderRules(answer);
    const shown = answer.rules.length > 50 ? ' (the first 50 shown)' : '';
    const left = answer.customersLeftOut
      ? ` ${count(answer.customersLeftOut)} customers without analytics consent left out.`
      : '';
    return `${count(answer.rules.length)} rules${shown} from ${count(answer.baskets)} baskets${answer.country ? ` of customers in ${answer.country}` : ''}, in ${decimal(answer.durationMs / 1000, 1)} s.${left}`;
  },

  async complaints(params) {
    const answer = await api(`/v1/analytics/complaints${query(params)}`);
    draw(
      'complaints-chart',
      barChart(
        answer.backlog.byAge.map((b) => b.band),
        'open complaints',
        answer.backlog.byAge.map((b) => b.complaints),
      ),
    );
    const { resolved, satisfied, dissatisfied, notSaid, medianDaysToResolution: median } = answer.resolution;
    // The share is of every resolution; how many said either way is its real basis, so both are shown.
    const satisfaction = `${percent(answer.resolution.satisfiedShare)} of ${count(resolved)} resolutions satisfied (${count(satisfied)} satisfied and ${count(dissatisfied)} not, of ${count(satisfied + dissatisfied)} that said; ${count(notSaid)} did not say)`;
    return `${count(answer.backlog.open)} open as of ${answer.asOf.slice(0, 10)}. Filed in range: ${count(answer.filed)}; resolved ${count(resolved)}, median ${median === null ? '–' : median.toFixed(1)} days; ${satisfaction}.${leftOut(answer)}`;
  },
};

const MODEL_COLOURS = { 'bg-nbd': '#c77c0e', 'pareto-nbd': '#2e7d32' };
const MODEL_NAMES = { 'bg-nbd': 'BG/NBD', 'pareto-nbd': 'Pareto/NBD' };
const decimal = (value, digits = 2) => value.toLocaleString('en-GB', { maximumFractionDigits: digits });

function renderRisk(answer) {
  const table = $('risk-table');
  resetTable(table);
  const head = document.createElement('tr');
  head.append(
    ...['pseudonym', 'spend to date', 'still a customer', 'expected next year', 'last purchase'].map((t) =>
      cell('th', t),
    ),
  );
  table.append(head);
  for (const customer of answer.predictions) {
    const row = document.createElement('tr');
    row.append(
      cell('td', customer.pseudonym.slice(0, 12), 'pseudonym'),
      cell('td', `${decimal(customer.spend)} ${answer.currency}`, 'number'),
      cell('td', percent(customer.pAlive), 'number'),
      cell('td', `${decimal(customer.expectedValue)} ${answer.currency}`, 'number'),
      cell('td', `${decimal(customer.age - customer.recency, 0)} ${answer.timeUnit}s ago`, 'number'),
    );
    row.title = customer.pseudonym;
    table.append(row);
  }
}

function renderBacktest(answer) {
  const { cumulative, byCalibrationFrequency } = answer.backtest;
  const models = Object.keys(answer.backtest.purchases.expected);
  draw('backtest-chart', {
    type: 'line',
    data: {
      labels: cumulative.map((point) => decimal(point.weeks, 1)),
      datasets: [
        {
          label: 'actual',
          data: cumulative.map((point) => point.actual),
          borderColor: ACCENT,
          backgroundColor: ACCENT,
          pointRadius: 0,
        },
        ...models.map((model) => ({
          label: MODEL_NAMES[model],
          data: cumulative.map((point) => point.expected[model]),
          borderColor: MODEL_COLOURS[model],
          backgroundColor: MODEL_COLOURS[model],
          borderDash: [6, 4],
          pointRadius: 0,
        })),
      ],
    },
    options: {
      scales: {
        x: { title: { display: true, text: 'weeks after the fit' } },
        y: { beginAtZero: true, title: { display: true, text: 'cumulative purchases' } },
      },
    },
  });
  const table = $('backtest-classes');
  resetTable(table);
  const head = document.createElement('tr');
  head.append(
    cell('th', 'repeat purchases'),
    cell('th', 'customers'),
    cell('th', 'actual'),
    ...models.map((model) => cell('th', MODEL_NAMES[model])),
  );
  table.append(head);
  for (const row of byCalibrationFrequency) {
    const tr = document.createElement('tr');
    tr.append(
      cell('td', row.frequency),
      cell('td', count(row.customers), 'number'),
      cell('td', decimal(row.actual), 'number'),
      ...models.map((model) => cell('td', decimal(row.expected[model]), 'number')),
    );
    table.append(tr);
  }
}

function renderRules(answer) {
  const table = $('rules-table');
  resetTable(table);
  const head = document.createElement('tr');
  head.append(
    ...['if bought', 'then also', 'baskets', 'support', 'confidence', 'lift'].map((t) => cell('th', t)),
  );
  table.append(head);
  for (const rule of answer.rules.slice(0, 50)) {
    const row = document.createElement('tr');
    row.append(
      cell('td', rule.antecedent.join(' + ')),
      cell('td', rule.consequent.join(' + ')),
      cell('td', count(rule.baskets), 'number'),
      cell('td', percent(rule.support), 'number'),
      cell('td', percent(rule.confidence), 'number'),
      cell('td', decimal(rule.lift, 1), 'number'),
    );
    table.append(row);
  }
}

/** Cell shades from white to the accent by share of the largest value (set through CSSOM: CSP-safe). */
function shade(cell, share) {
  const alpha = Math.max(0, Math.min(1, share));
  cell.style.backgroundColor = `rgba(31, 95, 191, ${(0.08 + 0.82 * alpha).toFixed(3)})`;
  cell.style.color = alpha > 0.55 ? '#ffffff' : '';
}

function cell(tag, text, className) {
  const element = document.createElement(tag);
  element.textContent = text;
  if (className) element.className = className;
  return element;
}

function resetTable(table) {
  for (const child of [...table.children]) if (child.tagName !== 'CAPTION') child.remove();
}

function renderRfmGrid(answer) {
  const table = $('rfm-grid');
  resetTable(table);
  const head = document.createElement('tr');
  head.append(cell('th', 'R \\ FM'), ...[1, 2, 3, 4, 5].map((fm) => cell('th', String(fm))));
  table.append(head);
  const largest = Math.max(1, ...answer.grid.map((c) => c.customers));
  for (const recency of [5, 4, 3, 2, 1]) {
    const row = document.createElement('tr');
    row.append(cell('th', String(recency)));
    for (const gridCell of answer.grid.filter((c) => c.recency === recency)) {
      const td = cell('td', '');
      td.append(
        cell('span', count(gridCell.customers), 'count'),
        cell('span', gridCell.segment, 'segment-name'),
      );
      td.dataset.segment = gridCell.segment;
      shade(td, gridCell.customers / largest);
      row.append(td);
    }
    table.append(row);
  }
}

function renderSegments(answer) {
  const table = $('rfm-segments');
  resetTable(table);
  const head = document.createElement('tr');
  head.append(cell('th', 'segment'), cell('th', 'customers'), cell('th', 'share'));
  table.append(head);
  for (const segment of answer.segments) {
    const row = document.createElement('tr');
    row.title = segment.meaning;
    row.append(
      cell('td', segment.segment),
      cell('td', count(segment.customers), 'number'),
      cell('td', percent(segment.share), 'number'),
    );
    table.append(row);
  }
}

function renderCohorts(answer) {
  const table = $('cohort-heatmap');
  resetTable(table);
  const months = Math.max(0, ...answer.cohorts.map((c) => c.retention.length));
  const head = document.createElement('tr');
  head.append(cell('th', 'cohort'), cell('th', 'customers'), cell('th', 'revenue'));
  for (let offset = 1; offset <= months; offset++) head.append(cell('th', `+${offset}`));
  table.append(head);
  for (const cohort of answer.cohorts) {
    const row = document.createElement('tr');
    const revenue = `${cohort.revenue.amount.toLocaleString('en-GB', { maximumFractionDigits: 0 })} ${cohort.revenue.currency}`;
    row.append(
      cell('th', cohort.cohort),
      cell('td', count(cohort.customers), 'number'),
      cell('td', revenue, 'number'),
    );
    for (const month of cohort.retention) {
      const td = cell('td', percent(month.share), 'number');
      shade(td, month.share / 0.5);
      row.append(td);
    }
    table.append(row);
  }
}

async function show(panel, form) {
  setStatus(panel, 'Loading…');
  try {
    setStatus(panel, await PANELS[panel](formParams(form)));
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403))
      return showLogin(refusal(error));
    const fields = error.problem?.errors?.map((e) => `${e.field}: ${e.message}`).join('; ');
    setStatus(panel, `Could not load: ${fields || error.message}`);
  }
}

// ---- signing in --------------------------------------------------------------------------------------

const refusal = (error) =>
  error.status === 403
    ? 'This key does not have the analyst role.'
    : 'This key was not accepted. Check it and try again.';

function showLogin(message) {
  $('dashboard').hidden = true;
  $('session-state').hidden = true;
  $('login-view').hidden = false;
  $('login-error').textContent = message;
  $('api-key').value = '';
  $('api-key').focus();
}

/**
 * Every panel loads at once with its default range: the dashboard's first paint. Panels whose question is
 * costly (a backtest fits, the rules read the whole log) wait to be asked and say so.
 */
function showDashboard(label) {
  $('login-view').hidden = true;
  $('dashboard').hidden = false;
  $('session-state').hidden = false;
  $('session-label').textContent = label;
  $('sign-out').hidden = !session.key && !staff;
  for (const form of document.querySelectorAll('form.range')) {
    if (form.dataset.onRequest) setStatus(form.dataset.panel, form.dataset.onRequest);
    else void show(form.dataset.panel, form);
  }
}

/** The person signed in through staff sign-in (on this page or the rep page), or null with an API key. */
let staff = null;

async function start() {
  const options = await signInOptions().catch(() => ({ singleSignOn: false }));
  $('sso-sign-in').hidden = !options.singleSignOn;
  staff = await staffSession().catch(() => null);
  if (staff) {
    if (!staff.roles.includes('analyst'))
      return showLogin(`${staff.displayName} does not have the analyst role.`);
    return showDashboard(`Signed in as ${staff.displayName} (${staff.authentication})`);
  }
  try {
    // The segment counts need the analyst role and nothing personal: a cheap way to check the key.
    await api('/v1/analytics/segments/champions/members?limit=1');
    showDashboard(session.key ? 'Signed in with an API key' : 'Open service: no API keys are configured');
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      const hadKey = Boolean(session.key);
      session.key = '';
      showLogin(hadKey ? refusal(error) : '');
    } else showLogin(`The service did not answer: ${error.message}`);
  }
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  session.key = $('api-key').value.trim();
  void start();
});
$('sign-out').addEventListener('click', async () => {
  if (staff) await signOutStaff().catch((error) => console.error(error));
  staff = null;
  session.key = '';
  showLogin('');
});
for (const form of document.querySelectorAll('form.range')) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void show(form.dataset.panel, form);
  });
}
void start();
