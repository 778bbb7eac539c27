// Events posted with one external reference (a voucher or transfer number).

import { query } from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { eventTable } from '../events.js';

export async function render(main, [reference]) {
  const ref = decodeURIComponent(reference || '');
  const answer = await query('FindPostingsByReference', { external_ref: ref });
  const events = answer.events || [];
  replace(main,
    h('h1', {}, t('search.title'), ' ', h('code', {}, ref)),
    h('p', { class: 'muted' }, t('search.found', { count: events.length }), ' · ', t('answered_at', { sequence: answer.answered_at_sequence || 0 })),
    h('section', { class: 'card' }, events.length ? eventTable(events, { id: 'search-results' }) : h('p', {}, t('search.none'))));
}
