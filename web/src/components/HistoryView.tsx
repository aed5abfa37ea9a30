/** The person's scans, newest first, with thumbnails where the photo was kept; trends per score; two scans compared. */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { dateTime, label, pct } from '../lib/format.ts';
import { forgetLocalPhoto } from '../lib/photos.ts';
import { useScanPhoto } from '../lib/scan-photo.ts';
import { focusHeading } from '../lib/focus.ts';
import type { HistoryPage, Trends } from '../types.ts';
import { CompareScans } from './CompareScans.tsx';
import { DeleteButton } from './DeleteButton.tsx';
import { TrendChart } from './TrendChart.tsx';

const PAGE = 12;
type Item = HistoryPage['scans'][number];

/** The kept photo only: a thumbnail means "this photo is on the server", nothing else. */
function Thumb({ item }: { item: Item }) {
  const url = useScanPhoto(item.scan_id, item.image_stored);
  return url ? (
    <img class="thumb" src={url} alt="" loading="lazy" />
  ) : (
    <span class="thumb none" title="photo not kept">
      no photo kept
    </span>
  );
}

function Summary({ item }: { item: Item }) {
  if (item.status === 'failed') return <span class="badge bad">failed: {item.error?.message ?? item.error?.code}</span>;
  if (item.status !== 'completed') return <span class="badge">{item.status}</span>;
  const s = item.summary;
  if (!s) return null;
  return (
    <span class="chips">
      {s.skin_type && <span class="badge">{label(s.skin_type)} skin</span>}
      {s.monk_tone !== null && <span class="badge">Monk {s.monk_tone}</span>}
      {s.acne_detected !== null && <span class="badge">{s.acne_detected ? 'acne' : 'no acne'}</span>}
      {s.condition && <span class="badge">{label(s.condition)}</span>}
      {s.quality_passed === false && <span class="badge warn">photo quality warnings</span>}
      {s.confidence !== null && <span class="badge">confidence {pct(s.confidence)}</span>}
    </span>
  );
}

export function HistoryView() {
  const [page, setPage] = useState<HistoryPage | null>(null);
  const [items, setItems] = useState<Item[]>([]);
  const [trend, setTrend] = useState<Trends>({ points: [], minimal_detectable_change: {} });
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  async function load(offset = 0) {
    try {
      const [p, t] = await Promise.all([api.history(PAGE, offset), offset === 0 ? api.trends(50) : null]);
      setPage(p);
      setItems((prev) => (offset === 0 ? p.scans : [...prev, ...p.scans]));
      if (t) setTrend(t);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  }
  useEffect(() => void load(0), []);

  return (
    <section class="history" aria-labelledby="history-h">
      <h1 id="history-h" tabIndex={-1}>
        Your history
      </h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p role="status" aria-live="polite" class="muted">
        {notice}
      </p>
      <section class="card" aria-labelledby="trend-h">
        <h2 id="trend-h">Trends</h2>
        <TrendChart trends={trend} />
      </section>
      <section class="card" aria-labelledby="compare-h">
        <h2 id="compare-h">Compare two scans</h2>
        <CompareScans trends={trend} stored={new Set(items.filter((i) => i.image_stored).map((i) => i.scan_id))} />
      </section>
      <h2>Scans {page && <span class="muted">({page.total})</span>}</h2>
      {page && items.length === 0 && (
        <p>
          No scans yet. <a href="#/scan">Take your first photo</a>.
        </p>
      )}
      <ul class="scan-list">
        {items.map((item) => (
          <li key={item.scan_id} class="scan-item" data-scan-id={item.scan_id}>
            <Thumb item={item} />
            <div class="scan-info">
              {item.status === 'completed' ? (
                <a href={`#/scan/${item.scan_id}`} class="scan-link">
                  {dateTime(item.created_at)}
                </a>
              ) : (
                <span>{dateTime(item.created_at)}</span>
              )}
              <Summary item={item} />
            </div>
            <DeleteButton
              label="Delete"
              confirmLabel="Delete scan"
              onConfirm={async () => {
                await api.deleteScan(item.scan_id);
                forgetLocalPhoto(item.scan_id);
                setItems((prev) => prev.filter((i) => i.scan_id !== item.scan_id));
                setPage((p) => (p ? { ...p, total: p.total - 1 } : p));
                setTrend((prev) => ({ ...prev, points: prev.points.filter((p) => p.scan_id !== item.scan_id) }));
                // The changes since the previous scan are the server's: read them again without the deleted one.
                api.trends(50).then(setTrend, () => {});
                setNotice(`Scan of ${dateTime(item.created_at)} deleted.`);
                // The row and its buttons are gone: focus goes to the history's heading, not the body.
                focusHeading();
              }}
            />
          </li>
        ))}
      </ul>
      {page?.has_more && (
        <button type="button" onClick={() => load(items.length)}>
          Show older scans
        </button>
      )}
    </section>
  );
}
