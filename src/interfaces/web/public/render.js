/* global document */
// (Browser globals declared for ESLint: this file runs in the page, not in Node.)

/**
 * Builds an element. Text is always set as text, never parsed as HTML: everything shown comes from the
 * ledger, and personal data must not be able to inject markup.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(
    ...children.flat(Infinity).filter((child) => child !== undefined && child !== null && child !== false),
  );
  return element;
}

/** What crypto-shredding leaves in place of personal data. */
export const ERASED = '[erased]';

/** A value for display; erased personal data is shown as such, not as a bracketed string. */
export function value(text) {
  if (text === ERASED) return h('span', { class: 'erased' }, 'erased');
  if (text === undefined || text === null || text === '') return h('span', { class: 'muted' }, '—');
  return String(text);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export function time(iso, { withTime = true } = {}) {
  if (!iso) return value(undefined);
  return h('time', { datetime: iso, title: iso }, (withTime ? dateTime : dateOnly).format(new Date(iso)));
}

/** Money as stored in events: integer minor units of a currency. */
export function money(stored) {
  if (!stored) return value(undefined);
  const format = new Intl.NumberFormat(undefined, { style: 'currency', currency: stored.currency });
  const digits = format.resolvedOptions().maximumFractionDigits;
  return format.format(stored.amountMinor / 10 ** digits);
}

/** Money as the API answers it: a decimal amount. */
export function decimalMoney(answer) {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency: answer.currency }).format(
    answer.amount,
  );
}

/** Timeline filters group the stored event types into what a rep thinks in. */
export const EVENT_TYPES = {
  PurchaseCompleted: { label: 'Purchase', group: 'purchases' },
  PurchaseCommitted: { label: 'Checkout', group: 'purchases' },
  PurchaseRefunded: { label: 'Refund', group: 'purchases' },
  ComplaintFiled: { label: 'Complaint', group: 'complaints' },
  ComplaintResolved: { label: 'Resolution', group: 'complaints' },
  SurveyAnswered: { label: 'Survey', group: 'surveys' },
  CustomerContacted: { label: 'Call note', group: 'account' },
  ProductBrowsed: { label: 'Browsed', group: 'browsing' },
  CustomerRegistered: { label: 'Registered', group: 'account' },
  ContactDetailsChanged: { label: 'Contact change', group: 'account' },
  ConsentGranted: { label: 'Consent', group: 'account' },
  ConsentWithdrawn: { label: 'Consent', group: 'account' },
  CustomerErased: { label: 'Erased', group: 'account' },
  CustomerMerged: { label: 'Merged', group: 'account' },
  CustomerMergedInto: { label: 'Merged', group: 'account' },
  EventTracked: { label: 'Tracked', group: 'browsing' },
};

export const typeInfo = (type) => EVENT_TYPES[type] ?? { label: type, group: 'account' };

function pairs(entries) {
  const shown = entries.filter(([, v]) => v !== undefined && v !== null && v !== '');
  return shown.length === 0
    ? undefined
    : h(
        'dl',
        { class: 'pairs' },
        shown.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      );
}

function itemsTable(items, total, totalLabel) {
  if (!items?.length) return total ? pairs([[totalLabel, money(total)]]) : undefined;
  return h(
    'table',
    { class: 'items' },
    h('caption', { class: 'visually-hidden' }, 'Items'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Item'),
        h('th', { scope: 'col', class: 'num' }, 'Qty'),
        h('th', { scope: 'col', class: 'num' }, 'Unit price'),
        h('th', { scope: 'col', class: 'num' }, 'Amount'),
      ),
    ),
    h(
      'tbody',
      {},
      items.map((item) =>
        h(
          'tr',
          {},
          h('td', {}, item.sku),
          h('td', { class: 'num' }, String(item.quantity)),
          h('td', { class: 'num' }, money(item.unitPrice)),
          h(
            'td',
            { class: 'num' },
            money({
              amountMinor: item.unitPrice.amountMinor * item.quantity,
              currency: item.unitPrice.currency,
            }),
          ),
        ),
      ),
    ),
    total &&
      h(
        'tfoot',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'row', colspan: '3' }, totalLabel),
          h('td', { class: 'num' }, money(total)),
        ),
      ),
  );
}

export function complaintState(complaintId, openIds) {
  const open = openIds.has(complaintId);
  return h(
    'span',
    { class: `state ${open ? 'state-open' : 'state-resolved'}`, dataset: { complaintState: complaintId } },
    open ? 'Open' : 'Resolved',
  );
}

/** The part of an entry below its summary line, by event type. */
function details(entry, openIds) {
  const d = entry.details ?? {};
  switch (entry.type) {
    case 'PurchaseCompleted':
      return itemsTable(d.items, d.total, 'Total');
    case 'PurchaseCommitted':
      return itemsTable(d.items, d.value, 'Value');
    case 'PurchaseRefunded':
      return pairs([
        ['Amount', money(d.amount)],
        ['Reason', d.reason],
      ]);
    case 'ComplaintFiled':
      return [
        complaintState(d.complaintId, openIds),
        pairs([
          ['Severity', d.severity],
          ['Category', d.category],
          ['Order', d.orderId],
          ['Customer said', d.description === undefined ? undefined : value(d.description)],
        ]),
      ];
    case 'ComplaintResolved':
      return pairs([
        ['Resolution', d.resolution === undefined ? undefined : value(d.resolution)],
        ['Satisfied', d.satisfied === undefined ? undefined : d.satisfied ? 'yes' : 'no'],
      ]);
    case 'SurveyAnswered':
      return pairs([
        ['Comment', d.comment === undefined ? undefined : value(d.comment)],
        ['Order', d.orderId],
      ]);
    case 'CustomerRegistered':
      return pairs([
        ['Name', value(d.name)],
        ['E-mail', value(d.email)],
        ['Phone', d.phone === undefined ? undefined : value(d.phone)],
      ]);
    case 'ContactDetailsChanged':
      return pairs([
        ['Name', d.name === undefined ? undefined : value(d.name)],
        ['E-mail', d.email === undefined ? undefined : value(d.email)],
        ['Phone', d.phone === undefined ? undefined : value(d.phone)],
        ['Reason', d.reason],
      ]);
    case 'CustomerContacted':
      return pairs([
        ['Direction', d.direction],
        ['Topic', d.topic],
        ['Minutes', d.durationSeconds === undefined ? undefined : Math.round(d.durationSeconds / 60)],
        ['Note', d.note === undefined ? undefined : value(d.note)],
      ]);
    case 'ProductBrowsed':
      // ProductBrowsed v2 (the API upcasts v1 events on read): a product, a page, or both.
      return pairs([
        ['Product', d.product?.name],
        ['Price', d.product?.price ? money(d.product.price) : undefined],
        ['Page', d.page?.url],
        ['Title', d.page?.title],
      ]);
    case 'EventTracked':
      return pairs([['Properties', d.properties === undefined ? undefined : value(d.properties)]]);
    default:
      return undefined;
  }
}

/** One timeline entry: what, when, through which channel, recorded by whom. */
export function timelineEntry(entry, openIds, { isNew = false } = {}) {
  const info = typeInfo(entry.type);
  return h(
    'li',
    {
      class: `entry group-${info.group}${isNew ? ' is-new' : ''}`,
      dataset: { entryId: entry.entryId, type: entry.type },
    },
    h(
      'div',
      { class: 'entry-head' },
      h('span', { class: `badge badge-${info.group}` }, info.label),
      h('p', { class: 'summary' }, entry.summary),
      isNew && h('span', { class: 'new-flag' }, 'new'),
      time(entry.occurredAt),
    ),
    h(
      'p',
      { class: 'meta' },
      entry.channel ? `${entry.channel} · ` : '',
      `recorded by ${entry.actor} `,
      time(entry.recordedAt),
    ),
    details(entry, openIds),
  );
}

const STAGES = ['browsing', 'committed', 'purchased', 'repeat', 'advocate'];

/** Points of the score out of 100, signed; a share that rounds to nothing is shown as 0. */
const points = (n) => (Math.abs(n) < 0.05 ? '0' : n > 0 ? `+${n.toFixed(1)}` : `−${Math.abs(n).toFixed(1)}`);

/** The customer's RFM segment and since when (month ends), or why there is none. */
function segmentLine(segment) {
  if (!segment) return null;
  if (!segment.name) return h('p', { class: 'segment', id: 'segment' }, `No segment: ${segment.reason}`);
  return h(
    'p',
    { class: 'segment', id: 'segment' },
    `Segment: ${segment.name.replace(/-/g, ' ')}, ${segmentSince(segment)}`,
  );
}

/**
 * Since when, as the service found it. When its look-back reached its limit, `since` is only how far it
 * looked, not when the customer entered: said as a length ("for more than 24 months"), never as a date.
 */
export function segmentSince(segment) {
  if (!segment.searchLimitReached) return `since ${segment.since.slice(0, 10)}`;
  const month = (iso) => Number(iso.slice(0, 4)) * 12 + Number(iso.slice(5, 7));
  const months = month(segment.asOf) - month(segment.since);
  return `in this segment for more than ${months} months (as far back as the service looks)`;
}

/** Which purchases the spend component counted, and those it left out (other currencies, no rate). */
function spendWhy(components) {
  const basis = components.monetaryBasis;
  const net = `${money(components.netSpendInWindow)} net in 365 days`;
  if (!basis) return net;
  const counted =
    basis.rule === 'exchange-rates'
      ? 'converted at the exchange rates of each day'
      : `purchases in ${basis.currency}, the customer's main currency`;
  const leftOut = basis.leftOut.map(({ currency, purchases, refunds }) =>
    [
      purchases > 0 && `${purchases} ${purchases === 1 ? 'purchase' : 'purchases'}`,
      refunds > 0 && `${refunds} ${refunds === 1 ? 'refund' : 'refunds'}`,
    ]
      .filter(Boolean)
      .join(' and ')
      .concat(` in ${currency}`),
  );
  const reason = basis.rule === 'exchange-rates' ? 'no rate' : 'not counted';
  return `${net} (${counted}${leftOut.length ? `; ${leftOut.join(', ')}: ${reason}` : ''})`;
}

/** Lifetime net spend: the main currency first, then each other currency the customer paid in. */
function netSpendText(profile) {
  const all = profile.netSpendByCurrency ?? [profile.netSpend];
  return all.map(decimalMoney).join(', ');
}

/** The loyalty "why": each component's share of the score, as the formula weighs it. */
function loyaltyWhy(loyalty) {
  const c = loyalty.components;
  return h(
    'details',
    { class: 'why' },
    h('summary', {}, `Why ${loyalty.score}?`),
    h(
      'table',
      { class: 'why-table' },
      h('caption', { class: 'visually-hidden' }, 'Loyalty score components'),
      h('tbody', {}, [
        row(
          'Recency',
          points(35 * c.recency),
          c.daysSinceLastPurchase === null
            ? 'no purchase yet'
            : `last purchase ${Math.round(c.daysSinceLastPurchase)} days ago`,
        ),
        row('Frequency', points(25 * c.frequency), `${c.purchasesInWindow} purchases in 365 days`),
        row('Spend', points(25 * c.monetary), spendWhy(c)),
        row(
          'Satisfaction',
          points(15 * c.satisfaction),
          `surveys average ${(c.satisfaction * 100).toFixed(0)}% (50% when none)`,
        ),
        row(
          'Complaints',
          points(-c.penalty),
          `${c.openComplaints} open, ${c.complaintsFiledInWindow} filed in 365 days`,
        ),
      ]),
    ),
  );
  function row(name, share, why) {
    return h('tr', {}, h('th', { scope: 'row' }, name), h('td', { class: 'num' }, share), h('td', {}, why));
  }
}

function consents(profile) {
  const purposes = ['marketing', 'analytics', 'profiling'];
  return h(
    'ul',
    { class: 'consents' },
    purposes.map((purpose) => {
      const state = profile.consents?.[purpose];
      return h(
        'li',
        { class: state?.granted ? 'granted' : 'not-granted' },
        h('span', { class: 'consent-purpose' }, purpose),
        ' ',
        state
          ? [state.granted ? 'granted' : 'withdrawn', ' ', time(state.at, { withTime: false })]
          : 'not given',
      );
    }),
  );
}

/** A probability as a whole percentage, with "<1 %" and ">99 %" where rounding would say 0 or 100. */
function likelihood(probability) {
  if (probability > 0 && probability < 0.005) return '<1 %';
  if (probability < 1 && probability > 0.995) return '>99 %';
  return `${Math.round(100 * probability)} %`;
}

/**
 * The customer's outlook from the stored models: how likely still a customer, the expected value over the
 * next year, the likely next products, each with the line that explains it; or why there is none.
 */
function outlookCard(predictions) {
  if (!predictions) return undefined;
  const heading = h('h3', { id: 'outlook-heading' }, 'Outlook');
  if (predictions.reason) {
    return h(
      'section',
      { class: 'card outlook', 'aria-labelledby': 'outlook-heading' },
      heading,
      h('p', { class: 'muted', id: 'outlook-withheld' }, `No predictions: ${predictions.reason}`),
    );
  }
  const { pAlive, expectedValue, nextProducts } = predictions;
  return h(
    'section',
    { class: 'card outlook', 'aria-labelledby': 'outlook-heading' },
    heading,
    h(
      'dl',
      { class: 'pairs' },
      h('dt', {}, 'Still a customer'),
      h(
        'dd',
        { id: 'outlook-alive' },
        h('strong', {}, likelihood(pAlive.probability)),
        h('span', { class: 'reason' }, pAlive.reason),
      ),
      h('dt', {}, 'Next year'),
      h(
        'dd',
        { id: 'outlook-value' },
        h('strong', {}, decimalMoney(expectedValue)),
        h('span', { class: 'reason' }, expectedValue.reason),
      ),
    ),
    h('h4', {}, 'Likely next products'),
    nextProducts.length === 0
      ? h('p', { class: 'muted', id: 'next-products' }, 'None to suggest yet.')
      : h(
          'ul',
          { class: 'next-products', id: 'next-products' },
          nextProducts.map((product) =>
            h('li', {}, h('strong', {}, product.sku), h('span', { class: 'reason' }, product.reason)),
          ),
        ),
    h(
      'p',
      { class: 'muted' },
      `Models fitted as of ${predictions.fittedAsOf.slice(0, 10)}; value discounted at 10 % a year.`,
    ),
  );
}

/** The profile card: who it is, what is open (first), where they stand, how to reach them, consents. */
export function profileCard(profile, { onResolve, onNewComplaint }) {
  const stageIndex = STAGES.indexOf(profile.funnelStage);
  const title = profile.erased
    ? 'Erased customer'
    : profile.registered
      ? profile.name
      : 'Unregistered customer';
  return [
    h(
      'div',
      { class: 'card identity' },
      h(
        'div',
        { class: 'identity-main' },
        h('h2', { id: 'profile-name', tabindex: '-1' }, title === ERASED ? 'Erased customer' : title),
        h('p', { class: 'customer-id' }, profile.customerId),
      ),
      profile.loyalty.withheld
        ? h(
            'div',
            { class: 'score tier-withheld', id: 'loyalty-score', title: profile.loyalty.withheld.reason },
            h('span', { class: 'score-value' }, '–'),
            h(
              'span',
              { class: 'score-label' },
              `no score: ${profile.loyalty.withheld.purpose} consent withdrawn`,
            ),
          )
        : h(
            'div',
            { class: `score tier-${profile.loyalty.tier}`, id: 'loyalty-score' },
            h('span', { class: 'score-value' }, String(profile.loyalty.score)),
            h('span', { class: 'score-label' }, `loyalty · ${profile.loyalty.tier}`),
          ),
      h(
        'ol',
        { class: 'stages', 'aria-label': `Funnel stage: ${profile.funnelStage}` },
        STAGES.map((stage, index) =>
          h(
            'li',
            {
              class: index <= stageIndex ? 'reached' : '',
              'aria-current': index === stageIndex ? 'step' : undefined,
            },
            stage,
          ),
        ),
      ),
      segmentLine(profile.segment),
      profile.loyalty.withheld
        ? h('p', { class: 'why' }, profile.loyalty.withheld.reason)
        : loyaltyWhy(profile.loyalty),
    ),
    h(
      'section',
      {
        class: `card open-complaints${profile.openComplaints.length > 0 ? ' has-open' : ''}`,
        'aria-labelledby': 'open-complaints-heading',
      },
      h(
        'div',
        { class: 'card-head' },
        h('h3', { id: 'open-complaints-heading' }, `Open complaints (${profile.openComplaints.length})`),
        !profile.erased &&
          h('button', { type: 'button', class: 'small', onclick: onNewComplaint }, 'New complaint'),
      ),
      profile.openComplaints.length === 0
        ? h('p', { class: 'muted' }, 'None open.')
        : h(
            'ul',
            { class: 'complaint-list' },
            profile.openComplaints.map((complaint) =>
              h(
                'li',
                { class: `severity-${complaint.severity}` },
                h(
                  'div',
                  {},
                  h('strong', {}, complaint.complaintId),
                  ` · ${complaint.severity}`,
                  complaint.category ? ` · ${complaint.category}` : '',
                  complaint.orderId ? ` · order ${complaint.orderId}` : '',
                  h('br'),
                  h('span', { class: 'muted' }, 'filed ', time(complaint.filedAt)),
                ),
                profile.erased
                  ? undefined
                  : h(
                      'button',
                      {
                        type: 'button',
                        class: 'small',
                        onclick: () => onResolve(complaint.complaintId),
                        'aria-label': `Resolve complaint ${complaint.complaintId}`,
                      },
                      'Resolve',
                    ),
              ),
            ),
          ),
    ),
    outlookCard(profile.predictions),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'contact-heading' },
      h('h3', { id: 'contact-heading' }, 'Contact'),
      pairs([
        ['E-mail', value(profile.email)],
        ['Phone', value(profile.phone)],
        ['Country', value(profile.country)],
        ['Source', profile.source],
      ]),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'activity-heading' },
      h('h3', { id: 'activity-heading' }, 'Activity'),
      pairs([
        ['Purchases', String(profile.purchaseCount)],
        ['Net spend', netSpendText(profile)],
        ['Complaints', `${profile.complaintsFiled} filed, ${profile.openComplaints.length} open`],
        ['First seen', time(profile.firstSeenAt)],
        ['Last seen', time(profile.lastSeenAt)],
        ['Merged records', profile.mergedFrom?.join(', ')],
      ]),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'consents-heading' },
      h('h3', { id: 'consents-heading' }, 'Consents'),
      consents(profile),
    ),
  ];
}
