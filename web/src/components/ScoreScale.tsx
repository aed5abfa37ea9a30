/**
 * One 0–100 score on the page's one scale: the six band segments, a marker at the value, and
 * the ± uncertainty as a whisker. The same drawing for every score, so they compare at a glance.
 */
import { BAND_COLORS, BAND_SEGMENTS, SCORE_TITLES } from '../lib/bands.ts';
import type { Score } from '../types.ts';

export function ScoreScale({ name, score, big }: { name: string; score: Score; big?: boolean }) {
  const title = SCORE_TITLES[name] ?? name;
  if (!score.available) {
    return (
      <div class="score-row" data-score={name} data-available="false">
        <span class="score-name">{title}</span>
        <span class="unavailable small" data-unavailable="true">
          Not available. {score.reason}
        </span>
      </div>
    );
  }
  const u = score.uncertainty ?? 0;
  const lo = Math.max(0, score.value - u);
  const hi = Math.min(100, score.value + u);
  const text = `${score.value} of 100, ${score.band}${u ? `, ±${Math.round(u)}` : ''}${score.reliable ? '' : ', less reliable for this photo'}`;
  return (
    <div class={`score-row${big ? ' big' : ''}`} data-score={name} data-band={score.band} data-value={score.value}>
      <span class="score-name">{title}</span>
      <span
        class="scale"
        role="meter"
        aria-label={title}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={score.value}
        aria-valuetext={text}
      >
        {BAND_SEGMENTS.map((s) => (
          <span key={s.band} class="seg" style={{ left: `${s.from}%`, width: `${s.to - s.from}%`, background: BAND_COLORS[s.band] }} />
        ))}
        {u > 0 && <span class="whisker" style={{ left: `${lo}%`, width: `${hi - lo}%` }} />}
        <span class="marker" style={{ left: `${score.value}%` }} />
      </span>
      <span class="score-value">
        <b>{score.value}</b> <span class="band-word" style={{ color: BAND_COLORS[score.band] }}>{score.band}</span>
        {!score.reliable && (
          <span class="badge warn" title="The photo's quality undermines this score">
            less reliable
          </span>
        )}
      </span>
    </div>
  );
}

/** The scale's key: each band's colour, name and range, once per section. */
export function ScaleKey() {
  return (
    <ul class="scale-key" aria-label="Score bands">
      {[...BAND_SEGMENTS].reverse().map((s) => (
        <li key={s.band}>
          <span class="dot" style={{ background: BAND_COLORS[s.band] }} aria-hidden="true" />
          {s.band} <span class="muted">{s.from}–{s.to === 100 ? 100 : s.to - 1}</span>
        </li>
      ))}
    </ul>
  );
}
