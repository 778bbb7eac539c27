// Events as the JSON API sends them (matchledger.v1.Event in proto3 JSON, snake_case after
// api.js): what kind, which amount, what it is about, and a table of them.

import { h, link, table } from './dom.js';
import { t, money, dateTime } from './i18n.js';
import { fromBase64, toHex } from './merkle.js';

/** `EVENT_KIND_MATCH_RECORDED` → `match_recorded`, the event's payload field. */
export function kindOf(event) {
  return String(event.kind || '').replace(/^EVENT_KIND_/, '').toLowerCase();
}

export function payloadOf(event) {
  return event[kindOf(event)] || {};
}


/** The hex of a base64 hash, as the CLI prints it. */
export function hashHex(base64) {
  try {
    return toHex(fromBase64(base64 || ''));
  } catch {
    return '';
  }
}

/** Links to what the event is about. */
function subject(event) {
  const p = payloadOf(event);
  const parts = [];
  if (p.contribution_id) parts.push(link(`contribution/${p.contribution_id}`, t('kind.contribution')));
  if (p.sme_id) parts.push(link(`sme/${p.sme_id}`, t('sme')));
  if (p.phase_id && kindOf(event) !== 'phase_opened') parts.push(link(`phase/${p.phase_id}`, t('phase')));
  if (p.name) parts.push(p.name);
  return parts.flatMap((part, i) => (i ? [' · ', part] : [part]));
}

function amountText(event) {
  const p = payloadOf(event);
  if (p.amount && p.amount.amount) return money(p.amount.amount, p.amount.currency);
  if (p.project_cost) return money(p.project_cost.amount, p.project_cost.currency);
  return '';
}

/** A table of events: sequence, time, kind, amount, subject, actor, reference, hash. */
export function eventTable(events, attributes = {}) {
  return table([
    { label: t('col.sequence'), num: true, value: (e) => String(e.sequence) },
    { label: t('col.recorded'), value: (e) => dateTime(e.recorded_at) },
    { label: t('col.effective'), value: (e) => e.effective_date || '' },
    { label: t('col.kind'), value: (e) => t(`event.${kindOf(e)}`) },
    { label: t('col.amount'), num: true, value: amountText },
    { label: t('col.about'), value: subject },
    { label: t('col.actor'), value: (e) => e.actor || '' },
    { label: t('col.reference'), value: (e) => e.external_ref || '' },
    { label: t('col.hash'), value: (e) => h('code', { title: hashHex(e.hash) }, `${hashHex(e.hash).slice(0, 12)}…`) },
  ], events, attributes);
}
