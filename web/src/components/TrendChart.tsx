/**
 * The main 0..1 scores over time as a small SVG line chart (no chart library, no CDN), with the
 * same numbers in a table for screen readers and for anyone who prefers reading them.
 */
import { label, shortDate } from '../lib/format.ts';
import type { TrendPoint } from '../types.ts';

/** Colour-blind-safe (Okabe–Ito) series colours; each line also has its own marker shape. */
const SERIES: { key: string; color: string; dash?: string }[] = [
  { key: 'redness', color: '#d55e00' },
  { key: 'wrinkles', color: '#0072b2', dash: '6 3' },
  { key: 'dark_circles', color: '#cc79a7', dash: '2 3' },
  { key: 'texture', color: '#009e73', dash: '8 3 2 3' },
  { key: 'acne', color: '#e69f00' },
  { key: 'confidence', color: '#56636b', dash: '1 3' },
];

// A phone-sized drawing (scaled up, not re-laid-out, on wider screens: CSS caps its width).
const W = 360;
const H = 210;
const PAD = { l: 30, r: 10, t: 10, b: 26 };

export function TrendChart({ points }: { points: TrendPoint[] }) {
  const series = SERIES.filter((s) => points.some((p) => typeof p.scores[s.key] === 'number'));
  if (points.length < 2) {
    return <p class="muted">Trends appear after your second completed scan.</p>;
  }
  const x = (i: number) => PAD.l + (i * (W - PAD.l - PAD.r)) / Math.max(1, points.length - 1);
  const y = (v: number) => PAD.t + (1 - v) * (H - PAD.t - PAD.b);
  const tickEvery = Math.ceil(points.length / 6);

  return (
    <figure class="trend">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="trend-cap" class="chart">
        {[0, 0.25, 0.5, 0.75, 1].map((v) => (
          <g key={v}>
            <line x1={PAD.l} x2={W - PAD.r} y1={y(v)} y2={y(v)} class="grid" />
            <text x={PAD.l - 6} y={y(v) + 4} text-anchor="end" class="axis">
              {v}
            </text>
          </g>
        ))}
        {points.map((p, i) =>
          i % tickEvery === 0 || i === points.length - 1 ? (
            <text key={p.scan_id} x={x(i)} y={H - 8} text-anchor={i === 0 ? 'start' : i === points.length - 1 ? 'end' : 'middle'} class="axis">
              {shortDate(p.completed_at)}
            </text>
          ) : null,
        )}
        {series.map((s) => {
          const pts = points.map((p, i) => [i, p.scores[s.key]] as const).filter(([, v]) => typeof v === 'number') as [number, number][];
          return (
            <g key={s.key} data-series={s.key}>
              <polyline
                points={pts.map(([i, v]) => `${x(i)},${y(v)}`).join(' ')}
                fill="none"
                stroke={s.color}
                stroke-width="2.5"
                stroke-dasharray={s.dash}
              />
              {pts.map(([i, v]) => (
                <circle key={i} cx={x(i)} cy={y(v)} r="3.5" fill={s.color} />
              ))}
            </g>
          );
        })}
      </svg>
      <figcaption id="trend-cap">
        Your scores over {points.length} scans (0 low … 1 high).
        <ul class="legend">
          {series.map((s) => (
            <li key={s.key}>
              <svg width="22" height="10" aria-hidden="true">
                <line x1="0" x2="22" y1="5" y2="5" stroke={s.color} stroke-width="3" stroke-dasharray={s.dash} />
              </svg>
              {label(s.key)}
            </li>
          ))}
        </ul>
      </figcaption>
      <details>
        <summary>Show the numbers</summary>
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Date</th>
                {series.map((s) => (
                  <th scope="col" key={s.key}>
                    {label(s.key)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {points.map((p) => (
                <tr key={p.scan_id}>
                  <th scope="row">{shortDate(p.completed_at)}</th>
                  {series.map((s) => (
                    <td key={s.key}>{typeof p.scores[s.key] === 'number' ? (p.scores[s.key] as number).toFixed(2) : '—'}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
