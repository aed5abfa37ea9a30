/**
 * A hash router (#/history, #/scan/<id>): works from any static host and needs no server
 * rewrite rules. useRoute re-renders on navigation.
 */
import { useEffect, useState } from 'preact/hooks';

export function currentPath(): string {
  return location.hash.replace(/^#/, '') || '/';
}

export function navigate(path: string): void {
  if (currentPath() === path) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = path;
}

/** The current path, and a count of navigations (a screen keyed on it restarts on every visit). */
export function useRoute(): { path: string; visit: number } {
  const [route, setRoute] = useState({ path: currentPath(), visit: 0 });
  useEffect(() => {
    const on = () => setRoute((r) => ({ path: currentPath(), visit: r.visit + 1 }));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
