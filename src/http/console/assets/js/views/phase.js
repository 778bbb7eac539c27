// One phase: its balances, the sponsor's report, its contributions with match status,
// the awards per SME, and its signed statements (current and closing), checkable here.

import { query, audit, stream } from '../api.js';
import { h, link, replace, table, figures, errorBox } from '../dom.js';
import { t, money, count, percent, statusBadge, enumLabel } from '../i18n.js';
import { save } from '../downloads.js';
import { verifyStatement } from '../verify.js';
import { keyPanel, reportView, whatIsChecked } from './trust.js';

/** Contributions listed with their status at most (one GetMatchStatus each). */
const CONTRIBUTIONS_LISTED_MAX = 1000;
/** Status queries in flight at once, so a long list does not flood the server. */
const STATUS_QUERIES_IN_FLIGHT = 4;
/** SMEs per page of the awards table. */
const SME_PAGE_SIZE = 50;

const BALANCE_FIGURES = ['pledged', 'contributed', 'matched', 'match_outstanding', 'pool', 'awarded', 'awarded_government', 'awarded_sponsor', 'own_shares', 'disbursed', 'refunded', 'cash', 'uncommitted'];

export async function render(main, [phaseId]) {
  const [{ phase = {}, answered_at_sequence: sequence = 0 }, report] = await Promise.all([
    query('GetPhaseBalances', { phase_id: phaseId }),
    query('GetSponsorReport', { phase_id: phaseId }),
  ]);
  const contributions = h('section', { class: 'card', id: 'contributions' }, h('p', { class: 'muted' }, t('loading')));
  const smes = h('section', { class: 'card', id: 'awards' });
  const statements = h('section', { class: 'card', id: 'statements' });
  replace(main,
    h('h1', {}, phase.name || phaseId),
    h('p', { class: 'muted' }, `${phase.starts_on || ''} – ${phase.ends_on || ''} · ${phase.currency || ''} · ${t('fig.match_ratio')} ${phase.match_ratio || ''} · `,
      h('span', { class: 'badge' }, phase.closed ? t('phase.closed') : t('phase.open')), ' · ', t('answered_at', { sequence })),
    h('section', { class: 'card' }, figures([
      ...BALANCE_FIGURES.map((name) => [t(`fig.${name}`), money(phase[name] || '0', phase.currency), name]),
      [t('fig.smes_supported'), count(phase.smes_supported), 'smes_supported'],
      [t('fig.projects'), count(phase.projects), 'projects'],
    ])),
    h('h2', {}, t('report.title')), sponsorReport(report),
    h('h2', {}, t('contributions.title')), contributions,
    h('h2', {}, t('awards.title')), smes,
    h('h2', {}, t('statement.title')), statements);
  await Promise.all([
    listContributions(contributions, phaseId, phase.currency).catch((e) => replace(contributions, errorBox(e))),
    listSmes(smes, phaseId, '').catch((e) => replace(smes, errorBox(e))),
    showStatements(statements, phaseId, phase).catch((e) => replace(statements, errorBox(e))),
  ]);
}

function sponsorReport(report) {
  const categories = (rows, prefix) => table([
    { label: t('col.category'), value: (r) => enumLabel(prefix, r.category) },
    { label: t('fig.projects'), num: true, value: (r) => count(r.projects) },
    { label: t('fig.awarded'), num: true, value: (r) => money(r.awarded || '0', report.currency) },
  ], rows || []);
  return h('section', { class: 'card', id: 'report' },
    figures([
      [t('fig.smes_supported'), count(report.smes_supported), 'report.smes_supported'],
      [t('fig.projects'), count(report.projects), 'report.projects'],
      [t('fig.non_supplier_smes'), count(report.non_supplier_smes), 'report.non_supplier_smes'],
      [t('fig.non_supplier_share'), percent(report.non_supplier_share), 'report.non_supplier_share'],
    ]),
    h('div', { class: 'grid2' },
      h('div', {}, h('h3', {}, t('report.by_purpose')), categories(report.by_purpose, 'purpose')),
      h('div', {}, h('h3', {}, t('report.by_support_type')), categories(report.by_support_type, 'support_type'))));
}

/** Runs `work` over `items` with at most `limit` in flight; results in item order. */
async function bounded(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function listContributions(section, phaseId, currency) {
  const recorded = [];
  await stream('AuditService', 'ReadEvents', { filter: { kinds: ['EVENT_KIND_CONTRIBUTION_RECORDED'], phase_id: phaseId } }, (event) => {
    if (recorded.length < CONTRIBUTIONS_LISTED_MAX) recorded.push(event);
  });
  const rows = await bounded(recorded, STATUS_QUERIES_IN_FLIGHT, async (event) => {
    const id = event.contribution_recorded.contribution_id;
    const { contribution = {} } = await query('GetMatchStatus', { contribution_id: id });
    return { event, status: contribution };
  });
  const filter = h('select', { id: 'contribution-filter', 'aria-label': t('contributions.filter') },
    ['all', 'open', 'MATCH_STATUS_UNMATCHED', 'MATCH_STATUS_PARTIAL', 'MATCH_STATUS_MATCHED'].map((value) => h('option', { value }, t(`filter.${value}`))));
  const holder = h('div');
  const draw = () => {
    const wanted = filter.value;
    const shown = rows.filter(({ status }) => wanted === 'all'
      || (wanted === 'open' ? status.status !== 'MATCH_STATUS_MATCHED' : status.status === wanted));
    replace(holder, table([
      { label: t('col.effective'), value: (r) => r.event.effective_date || '' },
      { label: t('kind.contribution'), value: (r) => link(`contribution/${r.status.contribution_id}`, `${r.status.contribution_id.slice(0, 8)}…`) },
      { label: t('col.reference'), value: (r) => r.event.external_ref || '' },
      { label: t('fig.amount'), num: true, value: (r) => money(r.status.amount?.amount || '0', currency) },
      { label: t('fig.matched'), num: true, value: (r) => money(r.status.matched || '0', currency) },
      { label: t('fig.outstanding'), num: true, value: (r) => money(r.status.outstanding || '0', currency) },
      { label: t('col.status'), value: (r) => statusBadge(r.status.status, r.status.reversed) },
    ], shown, { id: 'contribution-table' }), h('p', { class: 'muted' }, t('contributions.shown', { shown: shown.length, all: rows.length })));
  };
  filter.addEventListener('change', draw);
  draw();
  replace(section, h('div', { class: 'row' }, h('label', { for: 'contribution-filter' }, t('contributions.filter')), filter), holder,
    recorded.length >= CONTRIBUTIONS_LISTED_MAX ? h('p', { class: 'error' }, t('contributions.truncated', { max: CONTRIBUTIONS_LISTED_MAX })) : null);
}

async function listSmes(section, phaseId, pageToken) {
  const answer = await query('ListSmeBalances', { phase_id: phaseId, order: 'SME_ORDER_AWARDED_DESC', page_size: SME_PAGE_SIZE, page_token: pageToken });
  const inPhase = (sme) => (sme.phases || []).find((f) => f.phase_id === phaseId) || {};
  const rows = answer.smes || [];
  const body = table([
    { label: t('sme'), value: (s) => link(`sme/${s.sme_id}`, s.name || s.sme_id) },
    { label: t('col.brn'), value: (s) => s.business_registration_number || '' },
    { label: t('fig.projects'), num: true, value: (s) => count(inPhase(s).projects) },
    { label: t('fig.awarded'), num: true, value: (s) => money(inPhase(s).awarded || '0', inPhase(s).currency) },
    { label: t('fig.disbursed'), num: true, value: (s) => money(inPhase(s).disbursed || '0', inPhase(s).currency) },
    { label: t('fig.refunded'), num: true, value: (s) => money(inPhase(s).refunded || '0', inPhase(s).currency) },
    { label: t('fig.outstanding'), num: true, value: (s) => money(inPhase(s).outstanding || '0', inPhase(s).currency) },
  ], rows);
  const more = answer.next_page_token
    ? h('button', { type: 'button', onclick: (e) => { e.target.disabled = true; listSmes(moreHolder, phaseId, answer.next_page_token).catch((err) => replace(moreHolder, errorBox(err))); } }, t('more'))
    : null;
  const moreHolder = h('div', {}, more);
  if (!pageToken) replace(section, h('p', { class: 'muted' }, t('awards.total', { total: answer.total || 0 })), body, moreHolder);
  else replace(section, body, moreHolder);
}

async function showStatements(section, phaseId, phase) {
  const current = await audit('GetPhaseStatement', { phase_id: phaseId });
  let closing = null;
  if (phase.closed) {
    closing = await audit('GetPhaseStatement', { phase_id: phaseId, at_close: true }).catch((error) => ({ error }));
  }
  const key = keyPanel();
  replace(section, key.element,
    h('div', { class: 'grid2' },
      statementCard('statement.current', 'current', current, phaseId, key),
      closing ? statementCard('statement.closing', 'closing', closing, phaseId, key) : h('p', { class: 'muted' }, t('statement.none_open'))),
    whatIsChecked('statement'));
}

function statementCard(titleKey, id, statement, phaseId, key) {
  if (statement.error) return h('div', {}, h('h3', {}, t(titleKey)), errorBox(statement.error));
  const result = h('div', { id: `statement-${id}-result` });
  const size = Number(statement.tree_size || 0);
  const check = async () => {
    const verifier = await key.get();
    const [{ note: headNote, size: headSize }, { phase: balances }] = await Promise.all([
      audit('GetTreeHead', {}),
      query('GetPhaseBalances', { phase_id: phaseId, as_of: { sequence: size } }),
    ]);
    const proof = Number(headSize) > size
      ? await audit('GetConsistencyProof', { old_size: size, new_size: headSize })
      : { hashes: [] };
    replace(result, reportView(await verifyStatement(statement.note, verifier, headNote, proof.hashes || [], balances)));
  };
  return h('div', {},
    h('h3', {}, t(titleKey), ' · ', t('statement.at', { size })),
    h('pre', { class: 'note', id: `statement-${id}` }, statement.note || ''),
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'primary', id: `verify-statement-${id}`, onclick: () => check().catch((e) => replace(result, errorBox(e))) }, t('verify.run')),
      h('button', { type: 'button', onclick: () => save(`statement-${phaseId}-${id}.note`, statement.note || '', 'text/plain;charset=utf-8') }, t('download'))),
    result);
}
