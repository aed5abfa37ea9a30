/**
 * Two scans side by side: pick any two completed scans; each score's two values, the change,
 * and whether that change is more than the minimal detectable change (else "within normal
 * variation"). Kept photos are shown above, where both were kept.
 */
import { useState } from 'preact/hooks';
import { BAND_COLORS, bandOf, SCORE_TITLES } from '../lib/bands.ts';
import { distinctDateTimes } from '../lib/format.ts';
import { useScanPhoto } from '../lib/scan-photo.ts';
import type { Trends } from '../types.ts';
import { chartedScores } from './TrendChart.tsx';

function Photo({ scanId, stored, when }: { scanId: string; stored: boolean; when: string }) {
  const url = useScanPhoto(scanId, stored);
  return (
    <figure>
      {url ? <img src={url} alt={`Photo of the scan of ${when}`} class="thumb" /> : <span class="thumb none">no photo kept</span>}
      <figcaption>{when}</figcaption>
    </figure>
  );
}

export function CompareScans({ trends, stored }: { trends: Trends; stored: Set<string> }) {
  const pts = trends.points;
  const [a, setA] = useState(pts.length >= 2 ? pts[pts.length - 2]!.scan_id : '');
  const [b, setB] = useState(pts.length >= 1 ? pts[pts.length - 1]!.scan_id : '');
  if (pts.length < 2) return <p class="muted">Compare appears after your second completed scan.</p>;
  const pa = pts.find((p) => p.scan_id === a) ?? pts[pts.length - 2]!;
  const pb = pts.find((p) => p.scan_id === b) ?? pts[pts.length - 1]!;
  const names = chartedScores(trends);
  const labels = distinctDateTimes(pts.map((p) => p.completed_at));
  const when = (p: (typeof pts)[number]) => labels[pts.indexOf(p)]!;
  const option = (p: (typeof pts)[number]) => (
    <option key={p.scan_id} value={p.scan_id}>
      {when(p)}
    </option>
  );
  return (
    <div class="compare" data-compare={`${pa.scan_id} ${pb.scan_id}`}>
      <div class="compare-pick">
        <label>
          Earlier scan
          <select name="compare-a" value={pa.scan_id} onChange={(e) => setA(e.currentTarget.value)}>
            {pts.map(option)}
          </select>
        </label>
        <label>
          Later scan
          <select name="compare-b" value={pb.scan_id} onChange={(e) => setB(e.currentTarget.value)}>
            {pts.map(option)}
          </select>
        </label>
      </div>
      <div class="compare-photos">
        <Photo scanId={pa.scan_id} stored={stored.has(pa.scan_id)} when={when(pa)} />
        <Photo scanId={pb.scan_id} stored={stored.has(pb.scan_id)} when={when(pb)} />
      </div>
      <div class="table-scroll" tabIndex={0} role="region" aria-label="The two scans compared (scrolls sideways)">
        <table class="compare-table">
          <thead>
            <tr>
              <th scope="col">Score</th>
              <th scope="col">{when(pa)}</th>
              <th scope="col">{when(pb)}</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {names.map((n) => {
              const va = pa.values?.[n];
              const vb = pb.values?.[n];
              const both = typeof va === 'number' && typeof vb === 'number';
              const delta = both ? vb - va : 0;
              const mdc = trends.minimal_detectable_change?.[n];
              const real = both && mdc !== undefined && Math.abs(delta) > mdc;
              return (
                <tr key={n} data-score={n} data-real={both ? String(real) : undefined}>
                  <th scope="row">{SCORE_TITLES[n] ?? n}</th>
                  <td>{typeof va === 'number' ? <Value v={va} /> : '—'}</td>
                  <td>{typeof vb === 'number' ? <Value v={vb} /> : '—'}</td>
                  <td>
                    {!both
                      ? '—'
                      : delta === 0
                        ? 'no change'
                        : `${delta > 0 ? '+' : '−'}${Math.abs(delta)}${real ? ': a real change' : ', within normal variation'}`}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function Value({ v }: { v: number }) {
  return (
    <>
      {v} <span style={{ color: BAND_COLORS[bandOf(v)] }}>{bandOf(v)}</span>
    </>
  );
}
