// Entry: the session (setup, login, logout), the header with the live indicator and the theme
// toggle, and the routes.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './style.css';
import { get, post, setCsrf, setUnauthorizedHandler } from './api.js';
import { useLocation, match, navigate } from './router.js';
import { prefixLinks } from './base.js';
import { start, stop, useLive, firingAlerts } from './live.js';
import { Setup, Login } from './auth.jsx';
import { Session, useCan } from './session.jsx';
import { Overview } from './pages/overview.jsx';
import { NodePage } from './pages/node.jsx';
import { CheckEditor } from './pages/check_editor.jsx';
import { Checks } from './pages/checks.jsx';
import { CheckPage } from './pages/check.jsx';
import { Events } from './pages/events.jsx';
import { Alerts } from './pages/alerts.jsx';
import { Silences } from './pages/silences.jsx';
import { Rules, RuleEditor } from './pages/rules.jsx';
import { MapPage } from './pages/map.jsx';
import { Channels, ChannelEditor } from './pages/channels.jsx';
import { Maintenance } from './pages/maintenance.jsx';
import { InhibitRules } from './pages/inhibit.jsx';
import { Users, Tokens, KioskLinks, Audit, Password } from './pages/settings.jsx';
import { Configuration } from './pages/configuration.jsx';
import { AddHost } from './pages/hosts.jsx';
import { WelcomeAlerts } from './pages/welcome.jsx';
import { NodeEditor } from './pages/node_editor.jsx';
import { Discover } from './pages/discover.jsx';
import { TrapUsers } from './pages/trap_users.jsx';
import { Explore } from './pages/explore.jsx';
import { KioskLinkPage } from './pages/kiosk.jsx';

// Theme: follows the system until toggled; the choice is kept in localStorage.
const darkQuery = matchMedia('(prefers-color-scheme: dark)');
function useTheme() {
  const [choice, setChoice] = useState(() => localStorage.getItem('telltale.theme'));
  const [, redraw] = useState(0);
  useEffect(() => {
    const fn = () => redraw((n) => n + 1);
    darkQuery.addEventListener('change', fn);
    return () => darkQuery.removeEventListener('change', fn);
  }, []);
  useEffect(() => {
    if (choice) document.documentElement.dataset.theme = choice;
    else delete document.documentElement.dataset.theme;
  }, [choice]);
  const dark = choice ? choice === 'dark' : darkQuery.matches;
  const toggle = () => {
    const next = dark ? 'light' : 'dark';
    localStorage.setItem('telltale.theme', next);
    setChoice(next);
  };
  return { dark, toggle };
}

function ConnIndicator() {
  const { conn } = useLive();
  const label = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', offline: 'Offline' }[
    conn.state
  ];
  const detail =
    conn.state === 'live' && (conn.latency_ms ?? conn.rtt_ms) != null ? `${conn.latency_ms ?? conn.rtt_ms} ms` : '';
  const title = `Update latency: ${conn.latency_ms ?? '–'} ms (last event); round trip: ${conn.rtt_ms ?? '–'} ms`;
  return (
    <span id="conn" class={'conn ' + conn.state} role="status" title={title}>
      {label}
      {detail && <span class="latency"> · {detail}</span>}
    </span>
  );
}

function FiringCount() {
  useLive();
  const n = firingAlerts.size;
  return n ? (
    <span class="nav-count" id="firing-count">
      {' '}
      <span aria-hidden="true">{n}</span>
      <span class="visually-hidden">({n} firing)</span>
    </span>
  ) : null;
}

// The section a path belongs to, for the navigation's aria-current.
const SECTIONS = {
  '/': ['/nodes', '/discover'],
  '/alerts': ['/silences', '/maintenance', '/inhibit-rules', '/channels'],
};
const current = (href, path) =>
  (href === '/' ? path === '/' : path.startsWith(href)) || (SECTIONS[href] || []).some((p) => path.startsWith(p));

function Header({ session, theme, onLogout, path }) {
  const nav = [
    ['/', 'Overview'],
    ['/checks', 'Checks'],
    ['/alerts', 'Alerts'],
    ['/map', 'Map'],
    ['/explore', 'Explore'],
    ['/events', 'Events'],
    ['/settings', 'Settings'],
  ];
  return (
    <header class="top">
      <a class="brand" href="/">
        <img src="/icon.svg" alt="" width="22" height="22" />
        Telltale
      </a>
      {session && (
        <nav class="nav" aria-label="Main">
          {nav.map(([href, label]) => (
            <a href={href} aria-current={current(href, path) ? 'page' : undefined}>
              {label}
              {href === '/alerts' && <FiringCount />}
            </a>
          ))}
        </nav>
      )}
      {session && <ConnIndicator />}
      <span class="spacer" />
      {session && (
        <span id="who" class="who">
          <span>{session.user}</span>
          <span class="role">{session.role}</span>
        </span>
      )}
      <button
        type="button"
        class="theme"
        aria-label="Dark mode"
        aria-pressed={theme.dark ? 'true' : 'false'}
        onClick={theme.toggle}
      >
        <span aria-hidden="true">◐</span> <span class="label">Dark mode</span>
      </button>
      {session && (
        <button type="button" onClick={onLogout}>
          Log out
        </button>
      )}
    </header>
  );
}

function Routes({ path, query }) {
  let p;
  const admin = useCan('admin');
  if (path === '/' || path === '/nodes') return <Overview query={query} />;
  if ((p = match('/nodes/:id/edit', path))) return <NodeEditor id={+p.id} />;
  if ((p = match('/nodes/:id', path))) return <NodePage id={+p.id} />;
  if (path === '/discover') return <Discover />;
  if (path === '/checks/new') return <CheckEditor nodeId={query.get('node')} />;
  if (path === '/checks') return <Checks query={query} />;
  if ((p = match('/checks/:id/edit', path))) return <CheckEditor id={+p.id} />;
  if ((p = match('/checks/:id', path))) return <CheckPage id={+p.id} />;
  if (path === '/hosts/add' && admin) return <AddHost />;
  if (path === '/welcome/alerts') return <WelcomeAlerts />;
  if (path === '/events') return <Events />;
  if (path === '/map') return <MapPage />;
  if (path === '/explore') return <Explore query={query} />;
  if (path === '/settings') return admin ? <Users /> : <Tokens />;
  if (path === '/settings/users' && admin) return <Users />;
  if (path === '/settings/tokens') return <Tokens />;
  if (path === '/settings/kiosk' && admin) return <KioskLinks />;
  if (path === '/settings/password') return <Password />;
  if (path === '/settings/configuration') return <Configuration />;
  if (path === '/settings/trap-users') return <TrapUsers />;
  if (path === '/settings/audit' && admin) return <Audit query={query} />;
  if (path === '/alerts') return <Alerts query={query} />;
  if (path === '/silences') return <Silences query={query} />;
  if (path === '/maintenance') return <Maintenance query={query} />;
  if (path === '/inhibit-rules') return <InhibitRules />;
  if (path === '/channels') return <Channels query={query} />;
  if (path === '/channels/new') return <ChannelEditor />;
  if ((p = match('/channels/:id', path))) return <ChannelEditor id={+p.id} />;
  if (path === '/alerts/rules') return <Rules />;
  if (path === '/alerts/rules/new') return <RuleEditor />;
  if ((p = match('/alerts/rules/:id', path))) return <RuleEditor id={+p.id} />;
  return (
    <section class="card narrow">
      <h1>Not found</h1>
      <p>
        No page at <code>{path}</code>. <a href="/">Back to the overview</a>.
      </p>
    </section>
  );
}

function App() {
  const { path, query } = useLocation();
  const theme = useTheme();
  const [view, setView] = useState({ kind: 'loading' });
  const kiosk = query.get('kiosk') === '1';

  const startSession = (data) => {
    setCsrf(data.csrf_token);
    setView({ kind: 'app', session: { user: data.user?.username ?? data.user, role: data.role } });
    start();
  };
  const endSession = (notice) => {
    setCsrf(null);
    stop();
    setView({ kind: 'login', notice });
  };
  const boot = async () => {
    try {
      if ((await get('/api/v1/setup')).data?.needs_setup) return setView({ kind: 'setup' });
      startSession((await get('/api/v1/auth/me')).data);
    } catch (err) {
      if (err.status === 401) setView({ kind: 'login' });
      else setView({ kind: 'error', message: err.message });
    }
  };
  useEffect(() => {
    setUnauthorizedHandler((notice) => endSession(notice ?? 'Your session has expired. Please log in again.'));
    boot();
  }, []);
  const logout = async () => {
    try {
      await post('/api/v1/auth/logout');
    } catch {
      /* dropped locally either way */
    }
    endSession('You have been logged out.');
  };

  const session = view.kind === 'app' ? view.session : null;
  let body;
  if (view.kind === 'loading') body = <p class="loading">Loading…</p>;
  else if (view.kind === 'setup')
    body = (
      <Setup
        onDone={(data) => {
          // The first run goes on to where alerts should go: the built-in rules notify nobody yet.
          navigate('/welcome/alerts');
          startSession(data);
        }}
      />
    );
  else if (view.kind === 'login') body = <Login onDone={startSession} notice={view.notice} />;
  else if (view.kind === 'error') {
    body = (
      <p class="narrow error" role="alert">
        {view.message}{' '}
        <button type="button" onClick={boot}>
          Try again
        </button>
      </p>
    );
  } else {
    body = (
      <Session.Provider value={view.session}>
        <Routes path={path} query={query} />
      </Session.Provider>
    );
  }
  useEffect(() => {
    const title = { setup: 'Set up', login: 'Log in' }[view.kind];
    if (title) document.title = `${title} · Telltale`;
  }, [view.kind]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      {!(kiosk && session) && <Header session={session} theme={theme} onLogout={logout} path={path} />}
      <main id="main" tabIndex={-1} class={kiosk && session ? 'kiosk' : ''}>
        {body}
      </main>
    </>
  );
}

prefixLinks();
const root = document.getElementById('app');
root.textContent = ''; // the static "Loading…" of index.html
// A kiosk link (/?kiosk=ttk_…) is a wall screen without a login: no session, no live link.
const kioskToken = new URLSearchParams(location.search).get('kiosk');
render(
  kioskToken?.startsWith('ttk_') ? (
    <main id="main" class="kiosk">
      <KioskLinkPage token={kioskToken} />
    </main>
  ) : (
    <App />
  ),
  root,
);
