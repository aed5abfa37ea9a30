/**
 * The 0–100 scores over time, one small chart per score (small multiples: one scale, one
 * direction, higher is better everywhere), the band colours behind each line, date and time on
 * the axis, and the change since the last scan, called "within normal variation" when it is
 * smaller than that score's minimal detectable change (MDC95, src/service/trends.ts). The
 * numbers are also in a table, for screen readers and anyone who prefers reading them.
 */
import { BAND_COLORS, BAND_SEGMENTS, bandOf, SCORE_TITLES } from '../lib/bands.ts';
import { distinctDateTimes } from '../lib/format.ts';
import type { Trends } from '../types.ts';

/** The scores charted: the overall and the concerns (the wrinkle zones are parts of wrinkles). */
export function chartedScores(trends: Trends): string[] {
  const keys = new Set<string>();
  for (const p of trends.points) for (const [k, v] of Object.entries(p.values ?? {})) if (typeof v === 'number' && !k.startsWith('wrinkles_')) keys.add(k);
  return [...keys];
}

const W = 240;
const H = 120;
const PAD = { l: 24, r: 8, t: 6, b: 30 };

/** "+4 since the last scan, within normal variation (MDC 6)" */
export function changeText(delta: number, real: boolean, mdc: number | undefined): string {
  if (delta === 0) return 'no change since the last scan';
  const d = `${delta > 0 ? '+' : delta < 0 ? '−' : '±'}${Math.abs(delta)}`;
  if (real) return `${d} since the last scan: a real change (more than ${mdc} points)`;
  return `${d} since the last scan, within normal variation${mdc !== undefined ? ` (under ${mdc} points)` : ''}`;
}

function MiniChart({ name, trends }: { name: string; trends: Trends }) {
  const pts = trends.points.map((p, i) => [i, p.values?.[name]] as const).filter((e): e is readonly [number, number] => typeof e[1] === 'number');
  const n = trends.points.length;
  const x = (i: number) => PAD.l + (i * (W - PAD.l - PAD.r)) / Math.max(1, n - 1);
  const y = (v: number) => PAD.t + ((100 - v) * (H - PAD.t - PAD.b)) / 100;
  const last = trends.points[n - 1]!;
  const latest = pts[pts.length - 1];
  const change = last.changes?.[name];
  const mdc = trends.minimal_detectable_change?.[name];
  const title = SCORE_TITLES[name] ?? name;
  const ticks = n <= 3 ? trends.points.map((_, i) => i) : [0, Math.floor((n - 1) / 2), n - 1];
  const when = distinctDateTimes(trends.points.map((p) => p.completed_at));
  return (
    <figure class="mini" data-chart={name}>
      <figcaption>
        <b>{title}</b>
        {latest && (
          <span>
            now {latest[1]} <span style={{ color: BAND_COLORS[bandOf(latest[1])] }}>{bandOf(latest[1])}</span>
          </span>
        )}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} class="chart" role="img" aria-label={`${title} over ${n} scans, 0 to 100${latest ? `; now ${latest[1]}` : ''}`}>
        {BAND_SEGMENTS.map((s) => (
          <rect key={s.band} x={PAD.l} width={W - PAD.l - PAD.r} y={y(s.to)} height={y(s.from) - y(s.to)} fill={BAND_COLORS[s.band]} opacity="0.12" />
        ))}
        {[0, 50, 100].map((v) => (
          <text key={v} x={PAD.l - 4} y={y(v) + 3} text-anchor="end" class="axis">
            {v}
          </text>
        ))}
        {ticks.map((i) => (
          <text key={i} x={x(i)} y={H - 16} text-anchor={i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle'} class="axis" data-tick={i}>
            {when[i]}
          </text>
        ))}
        <polyline points={pts.map(([i, v]) => `${x(i)},${y(v)}`).join(' ')} fill="none" stroke="#14212b" stroke-width="2" />
        {pts.map(([i, v]) => (
          <circle key={i} cx={x(i)} cy={y(v)} r="3.5" fill={BAND_COLORS[bandOf(v)]} stroke="#fff" stroke-width="1" />
        ))}
      </svg>
      {change && (
        <p class={`change${change.real ? ' real' : ''}`} data-real={String(change.real)}>
          {changeText(change.delta, change.real, mdc)}
        </p>
      )}
    </figure>
  );
}

export function TrendChart({ trends }: { trends: Trends }) {
  if (trends.points.length < 2) {
    return <p class="muted">Trends appear after your second completed scan.</p>;
  }
  const names = chartedScores(trends);
  const when = distinctDateTimes(trends.points.map((p) => p.completed_at));
  return (
    <div class="trend">
      <p class="muted small">Each score on the same 0–100 scale; higher is healthier-looking. Band colors behind the lines.</p>
      <div class="charts">
        {names.map((name) => (
          <MiniChart key={name} name={name} trends={trends} />
        ))}
      </div>
      <details>
        <summary>Show the numbers</summary>
        {/* Focusable: on a phone the table scrolls sideways, and a keyboard must reach it (WCAG 2.1.1). */}
        <div class="table-scroll" tabIndex={0} role="region" aria-label="Scores per scan (scrolls sideways)">
          <table>
            <thead>
              <tr>
                <th scope="col">Scan</th>
                {names.map((s) => (
                  <th scope="col" key={s}>
                    {SCORE_TITLES[s] ?? s}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {trends.points.map((p, i) => (
                <tr key={p.scan_id}>
                  <th scope="row">{when[i]}</th>
                  {names.map((s) => (
                    <td key={s}>{typeof p.values?.[s] === 'number' ? p.values[s] : '—'}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}
