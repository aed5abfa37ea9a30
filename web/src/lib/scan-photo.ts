/**
 * The kept photo of a scan as an object URL (api.image), for a thumbnail: null until it has
 * loaded, when none was kept, or when loading failed. The URL is revoked when the scan changes
 * or the component goes, and an answer that arrives after that is dropped.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';

export function useScanPhoto(scanId: string, stored: boolean): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    setUrl(null);
    if (!stored) return;
    let made: string | null = null;
    let stale = false;
    api.image(scanId).then((u) => {
      made = u;
      if (stale && u) URL.revokeObjectURL(u);
      else setUrl(u);
    }, () => {});
    return () => {
      stale = true;
      if (made) URL.revokeObjectURL(made);
    };
  }, [scanId, stored]);
  return url;
}
