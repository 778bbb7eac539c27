// The programme overview: every phase's figures from ListPhaseBalances, and charts over
// business dates folded from the log (ReadEvents): contributions against matches, and cash.

import { query, stream } from '../api.js';
import { h, link, replace, table, figures, errorBox } from '../dom.js';
import { t, money, compact, monthLabel } from '../i18n.js';
import { stepChart } from '../charts.js';
import * as decimal from '../decimal.js';
import { group } from '../decimal.js';
import { kindOf, payloadOf } from '../events.js';

/** Events read for the charts at most; a larger log is charted up to there, and says so. */
const CHART_EVENTS_MAX = 500_000;

const CHART_KINDS = ['EVENT_KIND_CONTRIBUTION_RECORDED', 'EVENT_KIND_MATCH_RECORDED', 'EVENT_KIND_DISBURSEMENT_RECORDED', 'EVENT_KIND_REFUND_RECORDED', 'EVENT_KIND_ENTRY_REVERSED'];

const FIGURES = ['pledged', 'contributed', 'matched', 'pool', 'awarded', 'disbursed', 'refunded', 'cash'];

export async function render(main) {
  const answer = await query('ListPhaseBalances', {});
  const phases = answer.phases || [];
  const charts = h('section', { class: 'card', id: 'charts' }, h('p', { class: 'muted' }, t('chart.loading')));
  replace(main,
    h('h1', {}, t('overview.title')),
    h('p', { class: 'muted' }, t('answered_at', { sequence: answer.answered_at_sequence || 0 })),
    phases.length === 0 ? h('p', {}, t('overview.empty')) : phaseTable(phases),
    h('h2', {}, t('chart.title')),
    charts);
  if (phases.length > 0) drawCharts(charts, phases).catch((error) => replace(charts, errorBox(error)));
}

function phaseTable(phases) {
  const columns = [
    { label: t('phase'), value: (p) => [link(`phase/${p.phase_id}`, p.name || p.phase_id), h('div', { class: 'muted period' }, `${p.starts_on || ''} – ${p.ends_on || ''}`)] },
    { label: t('col.status'), value: (p) => h('span', { class: 'badge' }, p.closed ? t('phase.closed') : t('phase.open')) },
    { label: t('col.currency'), value: (p) => p.currency || '' },
    // Amounts without the currency in every cell: the row names it once.
    ...FIGURES.map((name) => ({ label: t(`fig.${name}`), num: true, value: (p) => h('span', { 'data-figure': `${p.phase_id}.${name}` }, group(p[name] || '0')) })),
  ];
  return h('section', { class: 'card' }, table(columns, phases, { id: 'phases' }));
}

/** The changes of contributed, matched and cash, each with its business date. */
function fold(events, phaseIds) {
  const changes = { contributed: [], matched: [], cash: [] };
  for (const event of events) {
    const p = payloadOf(event);
    if (!phaseIds.has(p.phase_id)) continue;
    const amount = decimal.parse(p.amount?.amount || '0');
    const negative = { units: -amount.units, scale: amount.scale };
    const kind = kindOf(event);
    const moves = [];
    if (kind === 'contribution_recorded') moves.push(['contributed', amount], ['cash', amount]);
    if (kind === 'match_recorded') moves.push(['matched', amount], ['cash', amount]);
    if (kind === 'disbursement_recorded') moves.push(['cash', negative]);
    if (kind === 'refund_recorded') moves.push(['cash', amount]);
    if (kind === 'entry_reversed') moves.push(...reversal(p, amount));
    const time = Date.parse(`${event.effective_date}T00:00:00Z`);
    for (const [name, delta] of moves) changes[name].push({ t: time, delta });
  }
  return changes;
}

/** How a reversal moves the charted figures: the opposite of the entry it cancels. */
function reversal(p, amount) {
  const negative = { units: -amount.units, scale: amount.scale };
  switch (p.entry_kind) {
    case 'contribution': return [['contributed', negative], ['cash', negative]];
    case 'match': return [['matched', negative], ['cash', negative]];
    case 'disbursement': return [['cash', amount]];
    case 'refund': return [['cash', negative]];
    default: return [];
  }
}

/**
 * The running total after each business date, in date order (a posting may be
 * back-dated, so the log's order is not the dates' order), and the exact final total.
 */
function accumulate(changes) {
  const sorted = [...changes].sort((a, b) => a.t - b.t);
  const points = [];
  let total = decimal.zero();
  for (const change of sorted) {
    total = decimal.add(total, change.delta);
    if (points.length > 0 && points.at(-1).t === change.t) points.pop();
    points.push({ t: change.t, y: decimal.toNumber(total) });
  }
  return { points, total };
}

async function drawCharts(section, phases) {
  const currency = phases[0].currency;
  const phaseIds = new Set(phases.filter((p) => p.currency === currency).map((p) => p.phase_id));
  const events = [];
  await stream('AuditService', 'ReadEvents', { filter: { kinds: CHART_KINDS }, limit: CHART_EVENTS_MAX }, (event) => events.push(event));
  const changes = fold(events, phaseIds);
  const contributed = accumulate(changes.contributed);
  const matched = accumulate(changes.matched);
  const cash = accumulate(changes.cash);
  const axis = { formatY: compact, formatT: monthLabel };
  const flowsChart = stepChart([
    { label: 'contributed', points: contributed.points },
    { label: 'matched', points: matched.points },
  ], { title: t('chart.flows'), ...axis });
  const cashChart = stepChart([{ label: 'cash', points: cash.points }], { title: t('chart.cash'), ...axis });
  replace(section,
    h('div', { class: 'grid2' },
      h('figure', {}, h('figcaption', {}, t('chart.flows')), flowsChart,
        h('div', { class: 'legend' }, h('span', { class: 's-contributed' }, t('fig.contributed')), h('span', { class: 's-matched' }, t('fig.matched')))),
      h('figure', {}, h('figcaption', {}, t('chart.cash')), cashChart,
        h('div', { class: 'legend' }, h('span', { class: 's-cash' }, t('fig.cash'))))),
    h('p', { class: 'muted' }, t('chart.note', { currency, events: events.length })),
    events.length >= CHART_EVENTS_MAX ? h('p', { class: 'error' }, t('chart.truncated', { events: CHART_EVENTS_MAX })) : null,
    figures([
      [t('chart.final_contributed'), money(decimal.toText(contributed.total), currency), 'chart.contributed'],
      [t('chart.final_matched'), money(decimal.toText(matched.total), currency), 'chart.matched'],
      [t('chart.final_cash'), money(decimal.toText(cash.total), currency), 'chart.cash'],
    ]));
}
