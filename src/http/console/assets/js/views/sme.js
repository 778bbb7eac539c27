// One SME: its totals and per-phase figures, and the events about it.

import { query, stream } from '../api.js';
import { h, link, replace, table, figures, errorBox } from '../dom.js';
import { t, money, count, enumLabel } from '../i18n.js';
import { eventTable } from '../events.js';

/** Events about one SME listed at most. */
const SME_EVENTS_MAX = 1000;

export async function render(main, [smeId]) {
  const { sme = {}, answered_at_sequence: sequence = 0 } = await query('GetSmeBalances', { sme_id: smeId });
  const events = h('section', { class: 'card', id: 'sme-events' }, h('p', { class: 'muted' }, t('loading')));
  const figureRows = (rows) => table([
    { label: t('phase'), value: (f) => (f.phase_id ? link(`phase/${f.phase_id}`, `${f.phase_id.slice(0, 8)}…`) : t('total')) },
    { label: t('fig.projects'), num: true, value: (f) => count(f.projects) },
    { label: t('fig.awarded'), num: true, value: (f) => money(f.awarded || '0', f.currency) },
    { label: t('fig.own_share'), num: true, value: (f) => money(f.own_share || '0', f.currency) },
    { label: t('fig.disbursed'), num: true, value: (f) => money(f.disbursed || '0', f.currency) },
    { label: t('fig.refunded'), num: true, value: (f) => money(f.refunded || '0', f.currency) },
    { label: t('fig.outstanding'), num: true, value: (f) => money(f.outstanding || '0', f.currency) },
  ], rows);
  replace(main,
    h('h1', {}, sme.name || smeId),
    h('p', { class: 'muted' }, t('answered_at', { sequence })),
    h('section', { class: 'card' }, figures([
      [t('col.brn'), sme.business_registration_number || '', 'brn'],
      [t('sme.supplier'), sme.supplier ? t('yes') : t('no'), 'supplier'],
      [t('sme.channel'), enumLabel('channel', sme.channel), 'channel'],
      [t('sme.size'), enumLabel('size', sme.size), 'size'],
    ])),
    h('h2', {}, t('sme.totals')), h('section', { class: 'card' }, figureRows(sme.totals || [])),
    h('h2', {}, t('sme.phases')), h('section', { class: 'card' }, figureRows(sme.phases || [])),
    h('h2', {}, t('sme.events')), events);
  const found = [];
  await stream('AuditService', 'ReadEvents', { filter: { sme_id: smeId } }, (event) => {
    if (found.length < SME_EVENTS_MAX) found.push(event);
  }).then(() => replace(events, eventTable(found)), (error) => replace(events, errorBox(error)));
}
