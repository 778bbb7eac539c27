// Trust: the verifier key the user holds (pasted, remembered in localStorage), reports of
// checks, what each check covers and what it still trusts, and the page that checks that
// the log only grew since a tree head the browser trusted before.

import { audit } from '../api.js';
import { h, replace, errorBox } from '../dom.js';
import { t, dateTime } from '../i18n.js';
import { parseVerifierKey, verifyCheckpoint } from '../note.js';
import { verifyGrowth } from '../verify.js';
import { save } from '../downloads.js';

const KEY_STORE = 'matchledger.verifierKey';
const HEAD_STORE = 'matchledger.trustedHead';

/** The verifier key input, shared by every page that verifies. `get()` parses it. */
export function keyPanel() {
  const input = h('input', { id: 'verifier-key', type: 'text', class: 'mono', spellcheck: 'false', autocomplete: 'off', value: localStorage.getItem(KEY_STORE) || '', placeholder: 'origin+1234abcd+AQ…' });
  const shown = h('p', { class: 'muted', id: 'server-key' });
  input.addEventListener('change', () => localStorage.setItem(KEY_STORE, input.value.trim()));
  const compare = async () => {
    const { verifier_key: key } = await audit('GetVerifierKey', {});
    replace(shown, t('key.server_says'), ' ', h('code', {}, key), ' ',
      h('button', { type: 'button', onclick: () => { input.value = key; localStorage.setItem(KEY_STORE, key); } }, t('key.use_server')));
  };
  const element = h('div', { class: 'key' },
    h('label', { for: 'verifier-key' }, t('key.label')),
    h('div', { class: 'row' }, input, h('button', { type: 'button', onclick: () => compare().catch((e) => replace(shown, errorBox(e))) }, t('key.compare'))),
    h('p', { class: 'muted' }, t('key.help')), shown);
  return {
    element,
    async get() {
      const text = input.value.trim();
      if (!text) throw new Error(t('key.missing'));
      localStorage.setItem(KEY_STORE, text);
      return parseVerifierKey(text);
    },
  };
}

/** A verdict and the list of checks behind it. */
export function reportView(report) {
  return h('div', { class: 'report' },
    h('p', { class: `verdict ${report.ok ? 'ok' : 'fail'}`, 'data-verdict': report.ok ? 'verified' : 'failed', role: 'status' },
      report.ok ? t('verify.ok') : t('verify.fail')),
    h('ul', { class: 'checks' }, report.checks.map((check) => h('li', { class: check.ok ? 'ok' : 'fail' },
      t(check.key), check.detail ? h('span', { class: 'muted' }, ` — ${check.detail}`) : null))));
}

/** What a check establishes and what it still takes on trust, said on the page. */
export function whatIsChecked(kind) {
  return h('details', { class: 'explain' },
    h('summary', {}, t('explain.summary')),
    h('h3', {}, t('explain.checked')),
    h('ul', {}, t(`explain.${kind}.checked`).split('\n').map((line) => h('li', {}, line))),
    h('h3', {}, t('explain.trusted')),
    h('ul', {}, t(`explain.${kind}.trusted`).split('\n').concat(t('explain.common.trusted').split('\n')).map((line) => h('li', {}, line))));
}

export async function render(main) {
  const key = keyPanel();
  const stored = localStorage.getItem(HEAD_STORE) || '';
  const older = h('textarea', { id: 'trusted-head', spellcheck: 'false', placeholder: t('head.paste') }, stored);
  const result = h('div', { id: 'growth-result' });
  const latest = h('div', { id: 'latest-head' });
  let fetched = null;
  const check = async () => {
    const verifier = await key.get();
    const head = await audit('GetTreeHead', {});
    fetched = head.note;
    const checkpoint = await verifyCheckpoint(head.note, verifier);
    replace(latest, h('p', {}, t('head.latest', { size: String(checkpoint.size), time: dateTime(new Date(checkpoint.timestamp * 1000).toISOString()) })), h('pre', { class: 'note' }, head.note));
    const oldNote = older.value.trim() ? `${older.value.replace(/\s+$/, '')}\n` : '';
    if (!oldNote) {
      replace(result, h('p', { class: 'verdict ok', 'data-verdict': 'verified' }, t('head.signed_only')));
      return;
    }
    const oldSize = (oldNote.split('\n')[1] || '0').trim();
    const proof = await audit('GetConsistencyProof', { old_size: oldSize, new_size: String(checkpoint.size) });
    replace(result, reportView(await verifyGrowth(oldNote, head.note, verifier, proof.hashes || [])));
  };
  const keep = () => {
    if (!fetched) return;
    localStorage.setItem(HEAD_STORE, fetched);
    older.value = fetched;
  };
  replace(main,
    h('h1', {}, t('trust.title')),
    h('section', { class: 'card' }, key.element),
    h('section', { class: 'card' },
      h('h2', {}, t('head.title')),
      h('label', { for: 'trusted-head' }, t('head.older')), older,
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'primary', id: 'check-growth', onclick: () => check().catch((e) => replace(result, errorBox(e))) }, t('head.check')),
        h('button', { type: 'button', id: 'keep-head', onclick: keep }, t('head.keep')),
        h('button', { type: 'button', onclick: () => fetched && save('tree-head.note', fetched, 'text/plain;charset=utf-8') }, t('download'))),
      result, latest),
    whatIsChecked('growth'));
}
