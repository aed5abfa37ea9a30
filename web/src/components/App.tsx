/** The shell: header and navigation, the route's screen, focus moved to each new screen's heading. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, setUnauthorizedHandler } from '../api.ts';
import { navigate, useRoute } from '../lib/router.ts';
import { getSession, setExpiryHandler, takeExpired } from '../session.ts';
import { AccountView } from './AccountView.tsx';
import { AuthView } from './AuthView.tsx';
import { Dashboard } from './Dashboard.tsx';
import { HistoryView } from './HistoryView.tsx';
import { ResultView } from './ResultView.tsx';
import { ScanFlow } from './ScanFlow.tsx';

const EXPIRED = 'Your session expired. Please log in again.';

const NAV = [
  { path: '/scan', name: 'New scan' },
  { path: '/history', name: 'History' },
  { path: '/admin', name: 'Dashboard', admin: true },
  { path: '/account', name: 'Account' },
];

export function App() {
  const { path: route, visit } = useRoute();
  const [session, setSession] = useState(getSession());
  const [role, setRole] = useState<'admin' | 'user' | null>(null);
  const [flash, setFlash] = useState<string | null>(() => (takeExpired() ? EXPIRED : null));
  const main = useRef<HTMLElement>(null);

  useEffect(() => {
    setUnauthorizedHandler((code) => {
      setSession(null);
      setFlash(code === 'TOKEN_EXPIRED' ? EXPIRED : 'Your session has ended (you logged out or changed your password elsewhere). Please log in again.');
    });
    setExpiryHandler(() => {
      takeExpired();
      setSession(null);
      setFlash(EXPIRED);
    });
  }, []);

  useEffect(() => {
    if (!session) return setRole(null);
    api.role().then((r) => setRole(r.role), () => setRole('user'));
  }, [session]);

  // A new screen: move focus to its heading so keyboard and screen-reader users land on it.
  useEffect(() => {
    const h = main.current?.querySelector<HTMLElement>('h1');
    h?.focus({ preventScroll: false });
  }, [route, visit, session]);

  const loggedIn = () => {
    setSession(getSession());
    setFlash(null);
    if (route === '/' || route === '/login') navigate('/scan');
  };

  let screen;
  if (!session) {
    screen = <AuthView onDone={loggedIn} />;
  } else if (route.startsWith('/scan/')) {
    screen = <ResultView scanId={route.slice('/scan/'.length)} />;
  } else if (route === '/history') {
    screen = <HistoryView />;
  } else if (route === '/account') {
    screen = (
      <AccountView
        onGone={(msg) => {
          setSession(null);
          setFlash(msg);
          navigate('/login');
        }}
      />
    );
  } else if (route === '/admin') {
    screen =
      role === 'admin' ? <Dashboard /> : <section class="panel narrow"><h1 tabIndex={-1}>Dashboard</h1><p>{role ? 'This page is for operators (admin role).' : 'Loading…'}</p></section>;
  } else {
    // Remount the flow on every visit to #/scan so "New scan" always starts at consent.
    screen = <ScanFlow key={visit} />;
  }

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); main.current?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <a
          class="brand"
          href="#/scan"
          aria-label="skinsight, new scan"
          onClick={(e) => {
            // Already on #/scan (mid-flow) the browser fires no hashchange: restart the flow ourselves.
            e.preventDefault();
            navigate('/scan');
          }}
        >
          <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
            <circle cx="16" cy="16" r="15" fill="#0b5d57" />
            <ellipse cx="16" cy="16" rx="8" ry="10.5" fill="none" stroke="#fff" stroke-width="2.2" />
          </svg>
          skinsight
        </a>
        {session && (
          <nav aria-label="Main">
            <ul>
              {NAV.filter((n) => !n.admin || role === 'admin').map((n) => (
                <li key={n.path}>
                  <a
                    href={`#${n.path}`}
                    onClick={(e) => {
                      // Same link again (e.g. "New scan" mid-flow): restart that screen.
                      if (route === n.path) {
                        e.preventDefault();
                        navigate(n.path);
                      }
                    }}
                    aria-current={route === n.path || (n.path === '/scan' && route === '/') ? 'page' : undefined}>
                    {n.name}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {flash && (
          <p class="flash" role="status">
            {flash}
          </p>
        )}
        {screen}
      </main>
      <footer class="foot">
        <p>Cosmetic estimates from a photo, not a medical diagnosis. Self-hosted: your photos stay on this server.</p>
      </footer>
    </>
  );
}
