// Entry: picks setup, login or the nodes view; owns the header, the theme and the live link.
import { $, h, mount } from './dom.js';
import { get, post, setCsrf, setUnauthorizedHandler } from './api.js';
import { connectLive } from './live.js';
import { setupView, loginView } from './auth.js';
import { nodesView } from './nodes.js';

const main = $('#main'), who = $('#who'), conn = $('#conn'), logoutBtn = $('#logout'), themeBtn = $('#theme');
let live, view;

function show(title, ...kids) {
  view?.destroy();
  view = null;
  document.title = title + ' · Telltale';
  mount(main, ...kids);
  $('input', main)?.focus();
}

const showLogin = (message) => show('Log in',
  message && h('p', { class: 'narrow notice', role: 'status' }, message), loginView(startSession));

const showError = (err) => show('Error', h('p', { class: 'narrow error', role: 'alert' }, err.message, ' ',
  h('button', { type: 'button', onclick: boot }, 'Try again')));

function setConn(state) {
  conn.hidden = false;
  conn.className = 'conn ' + state;
  conn.textContent = state === 'live' ? 'Live' : 'Reconnecting…';
}

function startSession(data) {
  setCsrf(data.csrf_token);
  const user = data.user?.username ?? data.user;
  mount(who, h('span', {}, user), h('span', { class: 'role' }, data.role));
  who.hidden = logoutBtn.hidden = false;
  show('Nodes');
  view = nodesView();
  main.append(view.el);
  view.heading.focus();
  live?.close();
  live = connectLive({ topics: ['nodes'], onEvent: (m) => view?.onEvent(m), onState: setConn, onReopen: () => view?.reload() });
}

function endSession(message) {
  setCsrf(null);
  live?.close();
  live = null;
  who.hidden = logoutBtn.hidden = conn.hidden = true;
  showLogin(message);
}

setUnauthorizedHandler(() => live && endSession('Your session has expired. Please log in again.'));

logoutBtn.addEventListener('click', async () => {
  try { await post('/api/v1/auth/logout'); } catch { /* dropped locally either way */ }
  endSession('You have been logged out.');
});

async function boot() {
  try {
    if ((await get('/api/v1/setup')).data?.needs_setup) return show('Set up', setupView(startSession));
    startSession((await get('/api/v1/auth/me')).data);
  } catch (err) {
    if (err.status === 401) showLogin();
    else showError(err);
  }
}

// Theme: follows the system until toggled; the choice is kept in localStorage.
const dark = matchMedia('(prefers-color-scheme: dark)');
function applyTheme() {
  const choice = localStorage.getItem('telltale.theme');
  if (choice) document.documentElement.dataset.theme = choice;
  themeBtn.setAttribute('aria-pressed', choice ? choice === 'dark' : dark.matches);
}
themeBtn.addEventListener('click', () => {
  localStorage.setItem('telltale.theme', themeBtn.getAttribute('aria-pressed') === 'true' ? 'light' : 'dark');
  applyTheme();
});
dark.addEventListener('change', applyTheme);
applyTheme();
boot();
