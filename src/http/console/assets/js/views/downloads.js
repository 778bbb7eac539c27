// Downloads: the event log as JSON Lines, phase and SME balances as CSV (with a BOM, so
// spreadsheets read Korean names right), and the signed tree head, with the query API's
// field names as columns. `matchledger export` writes the export whose manifest is signed.

import { query, audit, stream } from '../api.js';
import { h, replace, errorBox } from '../dom.js';
import { t } from '../i18n.js';
import { csv, save } from '../downloads.js';

/** SMEs per page while collecting smes.csv (the API's page maximum). */
const SME_PAGE_SIZE = 1000;

const PHASE_COLUMNS = ['phase_id', 'name', 'currency', 'closed', 'match_ratio', 'pledged', 'contributed', 'matched', 'match_outstanding', 'pool', 'awarded', 'awarded_government', 'awarded_sponsor', 'own_shares', 'disbursed', 'refunded', 'cash', 'uncommitted', 'smes_supported', 'projects'];
const SME_COLUMNS = ['sme', 'brn', 'name', 'phase', 'currency', 'awarded', 'own_share', 'disbursed', 'refunded', 'outstanding', 'projects'];

async function balancesCsv() {
  const { phases = [], answered_at_sequence: sequence } = await query('ListPhaseBalances', {});
  const rows = phases.map((p) => PHASE_COLUMNS.map((column) => (column === 'closed' ? (p.closed ? 'closed' : 'open') : p[column] ?? '0')));
  return [`balances-at-${sequence}.csv`, csv(PHASE_COLUMNS, rows)];
}

async function smesCsv() {
  const rows = [];
  let token = '';
  let sequence = 0;
  do {
    // Every page is asked at the sequence of the first, so the file is one point in time.
    const asOf = sequence ? { as_of: { sequence } } : {};
    const page = await query('ListSmeBalances', { order: 'SME_ORDER_NAME', page_size: SME_PAGE_SIZE, page_token: token, ...asOf });
    sequence = sequence || page.answered_at_sequence;
    for (const sme of page.smes || []) {
      for (const f of sme.phases || []) {
        rows.push([sme.sme_id, sme.business_registration_number, sme.name, f.phase_id, f.currency, f.awarded ?? '0', f.own_share ?? '0', f.disbursed ?? '0', f.refunded ?? '0', f.outstanding ?? '0', f.projects ?? '0']);
      }
    }
    token = page.next_page_token || '';
  } while (token);
  return [`smes-at-${sequence}.csv`, csv(SME_COLUMNS, rows)];
}

async function eventsJsonl(progress) {
  const lines = [];
  await stream('AuditService', 'ReadEvents', {}, (event) => {
    lines.push(JSON.stringify(event));
    if (lines.length % 1000 === 0) replace(progress, t('download.progress', { count: lines.length }));
  });
  return [`events-1-${lines.length}.jsonl`, `${lines.join('\n')}\n`];
}

async function treeHead() {
  const head = await audit('GetTreeHead', {});
  return [`tree-head-${head.size}.note`, head.note];
}

export async function render(main) {
  const progress = h('p', { class: 'muted', role: 'status' });
  const offer = (id, label, make, type) => h('li', {}, h('button', {
    type: 'button',
    id,
    onclick: async (e) => {
      e.target.disabled = true;
      try {
        const [name, content] = await make(progress);
        save(name, content, type);
        replace(progress, t('download.saved', { name }));
      } catch (error) {
        replace(progress, errorBox(error));
      } finally {
        e.target.disabled = false;
      }
    },
  }, label));
  replace(main,
    h('h1', {}, t('downloads.title')),
    h('section', { class: 'card' },
      h('ul', { class: 'downloads' },
        offer('download-balances', t('download.balances'), balancesCsv, 'text/csv;charset=utf-8'),
        offer('download-smes', t('download.smes'), smesCsv, 'text/csv;charset=utf-8'),
        offer('download-events', t('download.events'), eventsJsonl, 'application/x-ndjson'),
        offer('download-head', t('download.head'), treeHead, 'text/plain;charset=utf-8')),
      progress,
      h('p', { class: 'muted' }, t('downloads.export_cli'))));
}
