/**
 * One scan's result: the summary first, then the scores on one scale, the tone, the drawn
 * photo, and the raw measures behind a "details" disclosure.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { dateTime } from '../lib/format.ts';
import { forgetLocalPhoto, localPhoto } from '../lib/photos.ts';
import { navigate } from '../lib/router.ts';
import type { ScanResults, ScanStatusView } from '../types.ts';
import { DeleteButton } from './DeleteButton.tsx';
import { Findings } from './Findings.tsx';
import { Overlay } from './Overlay.tsx';
import { ScoresCard } from './ScoresCard.tsx';
import { SummaryCard } from './SummaryCard.tsx';
import { ToneCard } from './ToneCard.tsx';
import { focusHeading } from '../lib/focus.ts';

export function ResultView({ scanId }: { scanId: string }) {
  const [data, setData] = useState<{ results: ScanResults; status: ScanStatusView } | null>(null);
  const [imageUrl, setImageUrl] = useState<string | null>(localPhoto(scanId));
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stale = false;
    let fetched: string | null = null;
    setData(null);
    setError(null);
    Promise.all([api.results(scanId), api.status(scanId)])
      .then(async ([results, status]) => {
        if (stale) return;
        setData({ results, status });
        // The loading heading is gone: keyboard focus goes to the result's heading, not the body.
        focusHeading();
        // Prefer the photo still in this tab; otherwise the stored one, if the person kept it.
        if (!localPhoto(scanId) && status.image_stored) {
          fetched = await api.image(scanId).catch(() => null);
          if (!stale) setImageUrl(fetched);
        }
      })
      .catch((err) => {
        if (stale) return;
        setError(err instanceof ApiError ? err.message : String(err));
        focusHeading();
      });
    return () => {
      stale = true;
      if (fetched) URL.revokeObjectURL(fetched);
    };
  }, [scanId]);

  if (error) {
    return (
      <section class="panel narrow">
        <h1 tabIndex={-1}>Result not available</h1>
        <p class="error" role="alert">
          {error}
        </p>
        <a href="#/history">Back to your history</a>
      </section>
    );
  }
  if (!data) {
    return (
      <section class="panel narrow" aria-busy="true">
        <h1 tabIndex={-1}>Loading the result…</h1>
      </section>
    );
  }

  const { results, status } = data;
  return (
    <article class="result" aria-labelledby="result-h">
      <header class="result-head">
        <h1 id="result-h" tabIndex={-1}>
          Your skin analysis
        </h1>
        <p class="muted">
          {dateTime(results.completed_at)} ·{' '}
          {status.image_stored ? `photo kept until ${dateTime(status.image_expires_at)}` : 'photo not kept on the server'}
        </p>
      </header>
      <SummaryCard result={results.result} />
      <div class="result-grid">
        <Overlay result={results.result} imageUrl={imageUrl} />
        <div class="result-side">
          <ScoresCard result={results.result} />
          <ToneCard result={results.result} />
        </div>
      </div>
      <details class="card details" data-part="details">
        <summary>Details: raw measures and model outputs</summary>
        <Findings result={results.result} />
      </details>
      <footer class="actions">
        <a class="button primary" href="#/scan">
          New scan
        </a>
        <a class="button" href="#/history">
          History
        </a>
        <DeleteButton
          label="Delete this scan"
          confirmLabel="Yes, delete it"
          onConfirm={async () => {
            await api.deleteScan(scanId);
            forgetLocalPhoto(scanId);
            navigate('/history');
          }}
        />
      </footer>
    </article>
  );
}
