// One contribution: its match status, its events (sequence, time, actor, hash) from its
// match bundle, and the bundle verified in this browser against the user's verifier key.

import { query, audit } from '../api.js';
import { h, link, replace, table, figures, errorBox } from '../dom.js';
import { t, money, dateTime, statusBadge } from '../i18n.js';
import { save } from '../downloads.js';
import { verifyBundle } from '../verify.js';
import { toHex } from '../merkle.js';
import { keyPanel, reportView, whatIsChecked } from './trust.js';

/** The kind of a bundle event from its decoded form, `{ "MatchRecorded": {...} }`. */
function decodedKind(decoded) {
  const name = Object.keys(decoded?.event || {})[0] || '';
  return name.replace(/[A-Z]/g, (c, i) => (i ? '_' : '') + c.toLowerCase());
}

function decodedAmount(decoded) {
  const body = Object.values(decoded?.event || {})[0] || {};
  return body.amount ? money(body.amount.amount, body.amount.currency.toUpperCase()) : '';
}

export async function render(main, [contributionId]) {
  const [{ contribution: status = {}, answered_at_sequence: sequence = 0 }, { json }] = await Promise.all([
    query('GetMatchStatus', { contribution_id: contributionId }),
    audit('GetMatchBundle', { contribution_id: contributionId }),
  ]);
  const bundle = JSON.parse(json);
  const currency = status.amount?.currency || '';
  const key = keyPanel();
  const result = h('div', { id: 'bundle-result' });
  const run = async (button) => {
    button.disabled = true;
    try {
      // Fetched afresh, so what is checked is exactly what the server sends now.
      const fresh = await audit('GetMatchBundle', { contribution_id: contributionId });
      replace(result, reportView(await verifyBundle(fresh.json, await key.get(), status)));
    } finally {
      button.disabled = false;
    }
  };
  replace(main,
    h('h1', {}, t('kind.contribution'), ' ', h('code', {}, contributionId)),
    h('p', { class: 'muted' }, link(`phase/${status.phase_id}`, t('phase')), ' · ', t('answered_at', { sequence })),
    h('section', { class: 'card' }, figures([
      [t('fig.amount'), money(status.amount?.amount || '0', currency), 'amount'],
      [t('fig.match_limit'), money(status.match_limit || '0', currency), 'match_limit'],
      [t('fig.matched'), money(status.matched || '0', currency), 'matched'],
      [t('fig.outstanding'), money(status.outstanding || '0', currency), 'outstanding'],
      [t('col.status'), statusBadge(status.status, status.reversed), 'status'],
    ])),
    h('h2', {}, t('contribution.events')),
    h('section', { class: 'card' }, table([
      { label: t('col.sequence'), num: true, value: (e) => String(e.sequence) },
      { label: t('col.recorded'), value: (e) => dateTime(e.decoded?.meta?.recorded_at) },
      { label: t('col.effective'), value: (e) => e.decoded?.meta?.effective_date || '' },
      { label: t('col.kind'), value: (e) => t(`event.${decodedKind(e.decoded)}`) },
      { label: t('col.amount'), num: true, value: (e) => decodedAmount(e.decoded) },
      { label: t('col.actor'), value: (e) => e.decoded?.meta?.actor || '' },
      { label: t('col.hash'), value: (e) => h('code', {}, toHex(Uint8Array.from(e.decoded?.hash || []))) },
    ], bundle.events || [], { id: 'contribution-events' })),
    h('h2', {}, t('verify.bundle_title')),
    h('section', { class: 'card' }, key.element,
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'primary', id: 'verify-bundle', onclick: (e) => run(e.target).catch((error) => replace(result, errorBox(error))) }, t('verify.run')),
        h('button', { type: 'button', id: 'download-bundle', onclick: () => save(`match-bundle-${contributionId}.json`, json, 'application/json') }, t('download.bundle'))),
      result,
      h('p', { class: 'muted' }, t('verify.cli', { id: contributionId }))),
    whatIsChecked('bundle'));
}
