// "As of": the overview and a phase answered at an earlier point of the log, as an auditor
// checks balances at a closing date. The point is `?at=<sequence>` in the page's address,
// so it can be bookmarked and shared.

import { h } from '../dom.js';
import { t } from '../i18n.js';

/** The sequence asked for, or null for now. */
export function asOfSequence(query) {
  const text = query.get('at') || '';
  return /^[1-9]\d{0,15}$/.test(text) ? Number(text) : null;
}

/** `{ as_of: { sequence } }` for a request, or nothing. */
export function asOfRequest(sequence) {
  return sequence ? { as_of: { sequence } } : {};
}

/** The line under a page's title: the sequence answered at, and a form to pick another. */
export function asOfBar(sequence, answeredAt) {
  const input = h('input', { id: 'as-of', type: 'number', min: 1, step: 1, inputmode: 'numeric', value: sequence || '', placeholder: String(answeredAt || ''), 'aria-label': t('asof.label') });
  const form = h('form', { class: 'row asof' },
    h('span', { class: 'muted', id: 'answered-at' }, t('answered_at', { sequence: answeredAt || 0 })),
    h('label', { for: 'as-of' }, t('asof.label')), input,
    h('button', { type: 'submit' }, t('asof.show')),
    sequence ? h('a', { href: location.hash.replace(/\?.*$/, ''), id: 'as-of-now' }, t('asof.now')) : null);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const base = location.hash.replace(/\?.*$/, '') || '#/';
    location.hash = input.value ? `${base}?at=${encodeURIComponent(input.value)}` : base;
  });
  return form;
}
