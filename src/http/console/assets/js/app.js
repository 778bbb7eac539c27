// The console's entry point: routes (`#/phase/<id>`, …), navigation, the language switch
// and sign-in. Each view renders into <main> from API answers; with authentication on, a
// caller without a token sees the sign-in form and nothing else.

import { ApiError, setToken, token } from './api.js';
import { h, replace, errorBox } from './dom.js';
import { t, lang, setLang, applyStatic } from './i18n.js';
import * as overview from './views/overview.js';
import * as phase from './views/phase.js';
import * as sme from './views/sme.js';
import * as contribution from './views/contribution.js';
import * as search from './views/search.js';
import * as feed from './views/feed.js';
import * as trust from './views/trust.js';
import * as downloads from './views/downloads.js';

const ROUTES = { '': overview, phase, sme, contribution, search, feed, trust, downloads };
const NAV = [['', 'nav.overview'], ['feed', 'nav.feed'], ['trust', 'nav.trust'], ['downloads', 'nav.downloads']];

const main = document.getElementById('main');
let current = null;

function route() {
  const [name = '', ...params] = location.hash.replace(/^#\/?/, '').split('/');
  return { name: ROUTES[name] ? name : '', view: ROUTES[name] || overview, params };
}

function drawNav(active) {
  replace(document.getElementById('nav'), NAV.map(([name, key]) => h('a', { href: `#/${name}`, 'aria-current': name === active ? 'page' : null }, t(key))));
  document.getElementById('signout').hidden = !token();
  document.getElementById('lang').textContent = lang() === 'ko' ? 'English' : '한국어';
}

function signIn(error) {
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'card', id: 'signin' },
    h('h1', {}, t('signin.title')),
    h('p', {}, token() ? t('signin.rejected') : t('signin.needed')),
    h('label', { for: 'token' }, t('signin.token')), ' ', input, ' ',
    h('button', { type: 'submit', class: 'primary' }, t('signin.submit')),
    h('p', { class: 'muted' }, t('signin.kept')),
    error && token() ? errorBox(error) : null);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    render();
  });
  replace(main, form);
  input.focus();
}

async function render() {
  if (current) current.abort();
  const controller = new AbortController();
  current = controller;
  const { name, view, params } = route();
  drawNav(name);
  // Each navigation renders into a root of its own: a slower page still answering after
  // the user moved on writes into its detached root, never over the new page.
  const root = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  replace(main, root);
  try {
    await view.render(root, params, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) return;
    if (error instanceof ApiError && error.needsSignIn) {
      signIn(error);
    } else if (error instanceof ApiError && error.forbidden) {
      replace(main, h('h1', {}, t('forbidden.title')), h('p', {}, t('forbidden.text')), errorBox(error));
    } else {
      replace(root, errorBox(error));
    }
  }
  if (current === controller) main.focus({ preventScroll: true });
}

document.getElementById('lang').addEventListener('click', () => {
  setLang(lang() === 'ko' ? 'en' : 'ko');
  applyStatic();
  render();
});
document.getElementById('signout').addEventListener('click', () => {
  setToken(null);
  render();
});
document.getElementById('search').addEventListener('submit', (event) => {
  event.preventDefault();
  const ref = document.getElementById('search-ref').value.trim();
  if (ref) location.hash = `#/search/${encodeURIComponent(ref)}`;
});
window.addEventListener('hashchange', render);
applyStatic();
render();
