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

function formParams(form) {
  const params = {};
  for (const input of form.querySelectorAll('input')) params[input.name] = instant(input.name, input.value);
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

/** Every panel loads at once with its default range: the dashboard's first paint. */
function showDashboard(label) {
  $('login-view').hidden = true;
  $('dashboard').hidden = false;
  $('session-state').hidden = false;
  $('session-label').textContent = label;
  $('sign-out').hidden = !session.key && !staff;
  for (const form of document.querySelectorAll('form.range')) void show(form.dataset.panel, form);
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
