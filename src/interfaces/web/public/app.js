/* global document, sessionStorage, crypto, CSS, IntersectionObserver, AbortController, setTimeout, console */
// (Browser globals declared for ESLint: this file runs in the page, not in Node.)
import {
  api,
  ApiError,
  follow,
  query,
  session,
  signInLocally,
  signInOptions,
  signOutStaff,
  sleep,
  staffSession,
} from './api.js';
import { complaintState, EVENT_TYPES, profileCard, timelineEntry } from './render.js';

const PAGE_SIZE = 25;
const CUSTOMER_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const LAST_CUSTOMER_ITEM = 'ledger.customerId';

const $ = (id) => document.getElementById(id);

/** The open customer; replaced whole when another is opened, so late answers for the old one are dropped. */
let current = null;

// ---- signing in ---------------------------------------------------------------------------------------

/** A look-up needs the rep (or auditor) role and reads no personal data: a cheap way to check a key. */
async function checkAccess() {
  await api(`/v1/customers${query({ email: 'key-check@example.invalid' })}`);
}

/** The person signed in through staff sign-in, or null when the page works with an API key (or open). */
let staff = null;

async function start() {
  const options = await signInOptions().catch(() => ({ singleSignOn: false }));
  $('sso-sign-in').hidden = !options.singleSignOn;
  $('local-form').hidden = !options.localAccounts;
  staff = await staffSession().catch(() => null);
  if (staff) {
    if (!staff.roles.includes('rep')) return showLogin(`${staff.displayName} does not have the rep role.`);
    return showDesk(`Signed in as ${staff.displayName} (${staff.authentication})`);
  }
  try {
    await checkAccess();
    showDesk(session.key ? 'Signed in with an API key' : 'Open service: no API keys are configured');
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      // A key kept from earlier in this tab that no longer works is said so; no key at all is just a login.
      const hadKey = Boolean(session.key);
      session.key = '';
      showLogin(hadKey ? refusal(error) : '');
    } else showLogin(`The service did not answer: ${error.message}`);
  }
}

const refusal = (error) =>
  error.status === 403
    ? 'This key does not have the rep role.'
    : 'This key was not accepted. Check it and try again.';

function showLogin(message) {
  closeCustomer();
  $('desk-view').hidden = true;
  $('session-state').hidden = true;
  $('login-view').hidden = false;
  $('login-error').textContent = message;
  $('api-key').value = '';
  $('api-key').setAttribute('aria-invalid', message ? 'true' : 'false');
  $('api-key').focus();
}

function showDesk(label) {
  $('login-view').hidden = true;
  $('desk-view').hidden = false;
  $('session-state').hidden = false;
  $('session-label').textContent = label;
  $('sign-out').hidden = !session.key && !staff;
  const last = sessionStorage.getItem(LAST_CUSTOMER_ITEM);
  if (last) void openCustomer(last);
  else $('find-query').focus();
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = $('api-key').value.trim();
  if (!key) {
    $('login-error').textContent = 'Enter your API key.';
    return $('api-key').focus();
  }
  session.key = key;
  try {
    await checkAccess();
    showDesk('Signed in with an API key');
  } catch (error) {
    session.key = '';
    showLogin(error instanceof ApiError ? refusal(error) : `The service did not answer: ${error.message}`);
  }
});

$('local-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await signInLocally(
      $('local-username').value.trim(),
      $('local-password').value,
      $('local-code').value.trim(),
    );
    $('local-password').value = '';
    $('local-code').value = '';
    $('local-error').textContent = '';
    await start();
  } catch (error) {
    $('local-password').value = '';
    $('local-code').value = '';
    $('local-error').textContent =
      error instanceof ApiError ? error.message : `The service did not answer: ${error.message}`;
  }
});

$('sign-out').addEventListener('click', async () => {
  if (staff) await signOutStaff().catch((error) => console.error(error));
  staff = null;
  session.key = '';
  sessionStorage.removeItem(LAST_CUSTOMER_ITEM);
  showLogin('');
});

/** Every failed call goes through here: a key that stops working sends the rep back to sign in. */
function failed(error, where) {
  if (error instanceof ApiError && error.status === 401) {
    session.key = '';
    showLogin(
      staff ? 'Your session has ended. Sign in again.' : 'Your key is no longer accepted. Sign in again.',
    );
    staff = null;
    return true;
  }
  where.textContent =
    error instanceof ApiError ? error.message : `The service did not answer: ${error.message}`;
  console.error(error);
  return false;
}

// ---- finding a customer -------------------------------------------------------------------------------

$('find-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('find-query').value.trim();
  const message = $('find-message');
  const choices = $('find-choices');
  choices.hidden = true;
  choices.replaceChildren();
  message.textContent = '';
  if (!text) return (message.textContent = 'Type a customer id or an e-mail address.');
  try {
    if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) {
      message.textContent = 'Looking up the e-mail…';
      const { customers } = await api(`/v1/customers${query({ email: text })}`);
      if (customers.length === 1) return void (await openCustomer(customers[0].customerId));
      if (customers.length > 1) {
        message.textContent = `${customers.length} customers have this e-mail:`;
        choices.replaceChildren(
          ...customers.map(({ customerId }) => {
            const li = document.createElement('li');
            const button = document.createElement('button');
            button.type = 'button';
            button.className = 'link-button';
            button.textContent = customerId;
            button.addEventListener('click', () => openCustomer(customerId));
            li.append(button);
            return li;
          }),
        );
        choices.hidden = false;
        return;
      }
      // Customer ids may contain @, so an id that looks like an address is tried as an id too.
      const noOne = `No customer with the e-mail ${text}.`;
      if (!CUSTOMER_ID.test(text)) return notFound(noOne);
      return void (await openCustomer(text, { notFound: noOne }));
    }
    if (!CUSTOMER_ID.test(text)) return notFound('That is neither an e-mail address nor a customer id.');
    await openCustomer(text);
  } catch (error) {
    closeCustomer();
    failed(error, message);
  }
});

/** A search that found nobody: the previous customer goes, so that nothing on screen answers the wrong question. */
function notFound(text) {
  closeCustomer();
  sessionStorage.removeItem(LAST_CUSTOMER_ITEM);
  $('find-message').textContent = text;
}

// ---- the open customer --------------------------------------------------------------------------------

function closeCustomer() {
  current?.live.abort();
  current = null;
  $('profile').hidden = true;
  $('profile').replaceChildren();
  $('record').hidden = true;
  $('timeline').replaceChildren();
  $('timeline-empty').hidden = false;
  $('load-more').hidden = true;
  $('timeline-status').textContent = '';
  setLiveState('off');
}

async function openCustomer(customerId, { notFound: noOne = `No customer with the id ${customerId}.` } = {}) {
  const message = $('find-message');
  message.textContent = 'Opening…';
  let profile;
  try {
    profile = await api(`/v1/customers/${encodeURIComponent(customerId)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) notFound(noOne);
    else if (!failed(error, message)) closeCustomer();
    return;
  }
  closeCustomer();
  clearFilters();
  message.textContent = '';
  $('find-choices').hidden = true;
  sessionStorage.setItem(LAST_CUSTOMER_ITEM, customerId);
  current = {
    customerId,
    profile,
    openIds: new Set(profile.openComplaints.map((c) => c.complaintId)),
    live: new AbortController(),
    timeline: newTimeline(),
    /** Entries being waited for, and those already announced: the stream and the form both report them. */
    awaited: new Set(),
    announced: new Set(),
  };
  renderProfile();
  resetRecordForm();
  $('record').hidden = profile.erased;
  document.querySelector('.side').scrollTop = 0;
  $('profile-name').focus();
  startLive(current);
  await loadTimeline(current);
}

function renderProfile() {
  const section = $('profile');
  const why = section.querySelector('details.why');
  section.replaceChildren(
    ...profileCard(current.profile, { onResolve: resolveComplaint, onNewComplaint: newComplaint }),
  );
  // A refresh (after a live update) keeps the "why" open if the rep had opened it.
  if (why?.open) section.querySelector('details.why').open = true;
  section.hidden = false;
  $('open-complaint-ids').replaceChildren(
    ...current.profile.openComplaints.map((c) =>
      Object.assign(document.createElement('option'), { value: c.complaintId }),
    ),
  );
  for (const badge of document.querySelectorAll('[data-complaint-state]')) {
    badge.replaceWith(complaintState(badge.dataset.complaintState, current.openIds));
  }
}

async function refreshProfile(customer) {
  try {
    const profile = await api(`/v1/customers/${encodeURIComponent(customer.customerId)}`);
    if (customer !== current) return;
    customer.profile = profile;
    customer.openIds = new Set(profile.openComplaints.map((c) => c.complaintId));
    renderProfile();
  } catch (error) {
    failed(error, $('find-message'));
  }
}

// ---- the timeline -------------------------------------------------------------------------------------

const GROUPS = Object.entries(EVENT_TYPES).reduce((groups, [type, { group }]) => {
  (groups[group] ??= []).push(type);
  return groups;
}, {});

function readFilters() {
  const form = $('filter-form');
  const groups = [...form.querySelectorAll('input[name=group]:checked')].map((box) => box.value);
  const from = form.elements.from.value;
  const to = form.elements.to.value;
  return {
    groups: new Set(groups),
    all: groups.length === Object.keys(GROUPS).length,
    // Dates are the rep's local days.
    from: from ? new Date(`${from}T00:00:00`).toISOString() : undefined,
    to: to ? new Date(`${to}T23:59:59.999`).toISOString() : undefined,
  };
}

/** Each customer opens with the whole timeline: filters set for one customer would hide another's entries. */
function clearFilters() {
  const form = $('filter-form');
  for (const box of form.querySelectorAll('input[name=group]')) box.checked = true;
  form.elements.from.value = '';
  form.elements.to.value = '';
}

function newTimeline() {
  return {
    filters: readFilters(),
    entries: [],
    ids: new Set(),
    cursor: undefined,
    done: false,
    loading: null,
  };
}

const matches = (filters, entry) =>
  filters.groups.has(EVENT_TYPES[entry.type]?.group ?? 'account') &&
  (!filters.from || entry.occurredAt >= filters.from) &&
  (!filters.to || entry.occurredAt <= filters.to);

/** Newest first, as the API orders: by occurredAt, then by position in the log. */
const newer = (a, b) =>
  a.occurredAt > b.occurredAt || (a.occurredAt === b.occurredAt && a.position > b.position);

function loadTimeline(customer) {
  const timeline = customer.timeline;
  if (timeline.loading || timeline.done) return timeline.loading;
  timeline.loading = (async () => {
    const status = $('timeline-status');
    const { filters } = timeline;
    if (filters.groups.size === 0) {
      timeline.done = true;
      $('timeline-empty').hidden = false;
      $('timeline-empty').textContent = 'Choose at least one kind of entry to show.';
      return;
    }
    status.textContent = 'Loading…';
    try {
      const page = await api(
        `/v1/customers/${encodeURIComponent(customer.customerId)}/timeline${query({
          limit: PAGE_SIZE,
          cursor: timeline.cursor,
          types: filters.all ? undefined : [...filters.groups].flatMap((group) => GROUPS[group]).join(','),
          from: filters.from,
          to: filters.to,
        })}`,
      );
      if (customer !== current || timeline !== customer.timeline) return;
      const list = $('timeline');
      for (const entry of page.entries) {
        if (timeline.ids.has(entry.entryId)) continue;
        timeline.ids.add(entry.entryId);
        timeline.entries.push(entry);
        list.append(timelineEntry(entry, customer.openIds));
      }
      timeline.cursor = page.nextCursor;
      timeline.done = !page.nextCursor;
      $('timeline-empty').hidden = timeline.entries.length > 0;
      $('timeline-empty').textContent = 'No entries match these filters.';
      $('load-more').hidden = timeline.done;
      status.textContent = timeline.done
        ? `${timeline.entries.length} ${timeline.entries.length === 1 ? 'entry' : 'entries'}, all shown`
        : `${timeline.entries.length} entries shown; scroll for older ones`;
    } catch (error) {
      failed(error, status);
    } finally {
      timeline.loading = null;
    }
    // A short page may leave the end of the list in view; observing again re-checks it.
    endObserver.unobserve($('timeline-end'));
    endObserver.observe($('timeline-end'));
  })();
  return timeline.loading;
}

/** Infinite scroll: the next page loads when the end of the list comes within a screen of view. */
const endObserver = new IntersectionObserver(
  (records) => {
    if (records.some((record) => record.isIntersecting) && current) void loadTimeline(current);
  },
  { root: $('timeline-scroll'), rootMargin: '0px 0px 400px 0px' },
);
endObserver.observe($('timeline-end'));

$('load-more').addEventListener('click', () => current && loadTimeline(current));

function reloadTimeline() {
  if (!current) return;
  current.timeline = newTimeline();
  $('timeline').replaceChildren();
  $('timeline-scroll').scrollTop = 0;
  void loadTimeline(current);
}

$('filter-form').addEventListener('change', (event) => {
  if (event.target.name === 'group') reloadTimeline();
});
$('filter-form').addEventListener('submit', (event) => {
  event.preventDefault();
  reloadTimeline();
});
// After the reset has put the fields back, not before.
$('filter-form').addEventListener('reset', () => setTimeout(reloadTimeline));

/** Puts an entry in its place among those loaded; one older than every loaded entry waits for scrolling. */
function insertEntry(customer, entry) {
  const timeline = customer.timeline;
  if (timeline.ids.has(entry.entryId) || !matches(timeline.filters, entry)) return false;
  const index = timeline.entries.findIndex((other) => newer(entry, other));
  if (index < 0 && !timeline.done) return false;
  const element = timelineEntry(entry, customer.openIds, { isNew: true });
  timeline.ids.add(entry.entryId);
  if (index < 0) {
    timeline.entries.push(entry);
    $('timeline').append(element);
  } else {
    timeline.entries.splice(index, 0, entry);
    $('timeline').children[index].before(element);
  }
  $('timeline-empty').hidden = true;
  return true;
}

// ---- live updates -------------------------------------------------------------------------------------

function setLiveState(state) {
  const labels = {
    off: 'Live updates off',
    connecting: 'Connecting live updates…',
    live: 'Live',
    retrying: 'Live updates interrupted, reconnecting…',
    refused: 'Live updates refused for this key',
  };
  $('live-state').dataset.state = state;
  $('live-state').textContent = labels[state];
}

function startLive(customer) {
  /** The log position the stream has reported up to; undefined until it first says ready. */
  let seen;
  void follow(`/v1/customers/${encodeURIComponent(customer.customerId)}/live`, {
    signal: customer.live.signal,
    onState: (state) => customer === current && setLiveState(state),
    onEvent: ({ type, data }) => {
      if (customer !== current) return;
      if (type === 'appended') void awaitEntries(customer, [data.eventId], data.position);
      // After a reconnect, what was appended while the stream was down is fetched like new entries.
      if (type === 'ready' && seen !== undefined && data.position > seen) void catchUp(customer, seen);
      seen = Math.max(seen ?? 0, data.position);
    },
  });
}

/**
 * The newest entries by the time they were recorded: where anything just appended is found. Given the log
 * position of an event, the service answers once its timeline holds it.
 */
const recentlyRecorded = (customer, minPosition) =>
  api(
    `/v1/customers/${encodeURIComponent(customer.customerId)}/timeline${query({ by: 'recordedAt', limit: 50 })}`,
    { minPosition },
  );

async function catchUp(customer, afterPosition) {
  try {
    const { entries } = await recentlyRecorded(customer);
    await showArrived(
      customer,
      entries.filter((entry) => entry.position > afterPosition),
    );
  } catch (error) {
    failed(error, $('timeline-status'));
  }
}

/**
 * The timeline is a projection, updated a moment after the event is stored. Reads carry the position of the
 * page's last write (and of an announced event), so the entries are normally there at the first answer; should
 * they not be, asks again, a little later each time, for up to ten seconds (scrolling or reopening shows them).
 */
async function awaitEntries(customer, eventIds, position) {
  const wanted = new Set(eventIds.filter((id) => !customer.announced.has(id) && !customer.awaited.has(id)));
  const mine = [...wanted];
  mine.forEach((id) => customer.awaited.add(id));
  try {
    for (let delay = 50, waited = 0; wanted.size > 0 && waited < 10_000; waited += delay) {
      const { entries } = await recentlyRecorded(customer, position);
      if (customer !== current) return;
      const arrived = entries.filter((entry) => wanted.delete(entry.entryId));
      await showArrived(customer, arrived);
      if (wanted.size > 0) await sleep(delay);
      delay = Math.min(delay * 2, 1000);
    }
  } catch (error) {
    failed(error, $('timeline-status'));
  } finally {
    mine.forEach((id) => customer.awaited.delete(id));
  }
}

async function showArrived(customer, entries) {
  if (customer !== current) return;
  const fresh = entries.filter(
    (entry) => !customer.timeline.ids.has(entry.entryId) && !customer.announced.has(entry.entryId),
  );
  if (fresh.length === 0) return;
  fresh.forEach((entry) => customer.announced.add(entry.entryId));
  await refreshProfile(customer);
  for (const entry of fresh.sort((a, b) => (newer(a, b) ? 1 : -1))) {
    const shown = insertEntry(customer, entry);
    // Screen readers hear each new entry; entries hidden by the filters are still announced.
    const note = document.createElement('span');
    note.textContent = `New: ${entry.summary}${shown ? '' : ' (not shown by the current filters)'}. `;
    $('new-entries').append(note);
  }
}

// ---- recording ----------------------------------------------------------------------------------------

const form = $('record-form');
/** The event each kind of record on this form is stored as. */
const RECORDED_TYPES = {
  complaint: 'ComplaintFiled',
  'complaint-resolved': 'ComplaintResolved',
  contact: 'CustomerContacted',
};
/** One id per touchpoint being recorded: a resend after a lost answer is then recorded once. */
let pendingEventId;

function suggestComplaintId() {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  return `C-${day}-${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
}

function showRecordType() {
  const type = form.elements.type.value;
  form.querySelector('.for-complaint').hidden = type !== 'complaint';
  form.querySelector('.for-resolution').hidden = type !== 'complaint-resolved';
  form.querySelector('.for-contact').hidden = type !== 'contact';
  form.querySelector('.complaint-id-field').hidden = type === 'contact';
}

function resetRecordForm() {
  const { type, channel } = form.elements;
  const keep = { type: type.value, channel: channel.value };
  form.reset();
  type.value = keep.type;
  channel.value = keep.channel;
  clearErrors();
  $('record-status').textContent = '';
  form.elements.complaintId.value = type.value === 'complaint' ? suggestComplaintId() : '';
  pendingEventId = undefined;
  showRecordType();
}

form.elements.type.addEventListener('change', () => {
  clearErrors();
  const open = current?.profile.openComplaints ?? [];
  form.elements.complaintId.value =
    form.elements.type.value === 'complaint' ? suggestComplaintId() : (open[0]?.complaintId ?? '');
  pendingEventId = undefined;
  showRecordType();
});

function newComplaint() {
  form.elements.type.value = 'complaint';
  resetRecordForm();
  $('record').scrollIntoView({ block: 'nearest' });
  form.elements.severity.focus();
}

function resolveComplaint(complaintId) {
  form.elements.type.value = 'complaint-resolved';
  clearErrors();
  showRecordType();
  form.elements.complaintId.value = complaintId;
  pendingEventId = undefined;
  $('record').scrollIntoView({ block: 'nearest' });
  form.elements.resolution.focus();
}

function touchpointData() {
  const f = form.elements;
  const text = (field) => f[field].value.trim() || undefined;
  if (f.type.value === 'complaint') {
    return {
      complaintId: text('complaintId'),
      severity: text('severity'),
      category: text('category'),
      orderId: text('orderId'),
      description: text('description'),
    };
  }
  if (f.type.value === 'contact') {
    const minutes = f.minutes.value.trim();
    return {
      direction: f.direction.value,
      topic: text('topic'),
      note: text('note'),
      durationSeconds: minutes === '' ? undefined : Math.round(Number(minutes) * 60),
    };
  }
  return {
    complaintId: text('complaintId'),
    resolution: text('resolution'),
    satisfied: f.satisfied.value === '' ? undefined : f.satisfied.value === 'true',
  };
}

function clearErrors() {
  for (const element of form.querySelectorAll('[data-error-for]')) element.textContent = '';
  for (const element of form.querySelectorAll('[aria-invalid]')) {
    element.removeAttribute('aria-invalid');
    element.removeAttribute('aria-describedby');
  }
  $('record-summary').hidden = true;
  $('record-summary').replaceChildren();
}

/** The API's own messages, each next to its field; those with no field on the form go in the summary. */
function showErrors(problem) {
  const unplaced = [];
  let first;
  for (const { field, message } of problem.errors ?? []) {
    const input = form.querySelector(`[data-field="${CSS.escape(field)}"]`);
    const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    if (!input || !slot || input.closest('[hidden]')) {
      unplaced.push(`${field}: ${message}`);
      continue;
    }
    slot.id ||= `error-${field.replace(/\W/g, '-')}`;
    slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', slot.id);
    first ??= input;
  }
  const summary = $('record-summary');
  summary.replaceChildren(
    `Not recorded: ${first ? 'see the marked fields.' : problem.detail || problem.title || 'the service refused it.'}`,
    ...unplaced.map((line) =>
      Object.assign(document.createElement('span'), { className: 'unplaced', textContent: line }),
    ),
  );
  summary.hidden = false;
  (first ?? summary).focus();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!current) return;
  const customer = current;
  clearErrors();
  pendingEventId ??= crypto.randomUUID?.();
  const status = $('record-status');
  status.textContent = 'Recording…';
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const type = form.elements.type.value;
    const data = touchpointData();
    const outcome = await api('/v1/touchpoints', {
      method: 'POST',
      body: {
        customerId: customer.customerId,
        type,
        channel: form.elements.channel.value,
        eventId: pendingEventId,
        data,
      },
    });
    resetRecordForm();
    const recorded = {
      complaint: `Complaint ${data.complaintId} recorded.`,
      'complaint-resolved': `Complaint ${data.complaintId} marked resolved.`,
      contact: 'Call noted.',
    }[type];
    const entry = { type: RECORDED_TYPES[type], occurredAt: new Date().toISOString() };
    status.textContent =
      customer === current && !matches(customer.timeline.filters, entry)
        ? `${recorded} The timeline filters hide it: clear them to see it.`
        : recorded;
    // The live stream brings it too; asking here as well covers a stream that is reconnecting.
    void awaitEntries(customer, [outcome.eventId]);
  } catch (error) {
    status.textContent = '';
    if (error instanceof ApiError && error.status !== 401) showErrors(error.problem);
    else failed(error, status);
  } finally {
    button.disabled = false;
  }
});

void start();
