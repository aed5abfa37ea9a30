/**
 * Skin tone as one labelled swatch and the Monk scale with the estimate and its range across
 * the face. When the light makes the colour unreliable, it says "retake in daylight" instead
 * of a confident number.
 */
import { label } from '../lib/format.ts';
import { MONK_SCALE, monkRange } from '../lib/monk.ts';
import type { AnalysisResult } from '../types.ts';

export function ToneCard({ result }: { result: AnalysisResult }) {
  const tone = result.cv_analysis.skin_tone;
  const wb = result.cv_analysis.white_balance;
  return (
    <section class="card" aria-labelledby="tone-h" data-part="tone">
      <h2 id="tone-h">Skin tone</h2>
      {!tone.available ? (
        <p class="unavailable" data-unavailable="true">
          <strong>Not available.</strong> {tone.reason}
        </p>
      ) : !tone.reliable || !wb.reliable ? (
        <div data-tone="unreliable">
          <p class="note">
            <strong>Retake in daylight</strong> to measure your skin tone: the light in this photo changes its color (
            {[...tone.warnings, ...(wb.reliable ? [] : ['the light could not be corrected'])].join('; ') || 'uneven light'}).
          </p>
          <MonkScale current={null} />
        </div>
      ) : (
        <Reliable tone={tone} />
      )}
    </section>
  );
}

function Reliable({ tone }: { tone: Extract<AnalysisResult['cv_analysis']['skin_tone'], { available: true }> }) {
  const range = monkRange(tone);
  return (
    <div data-tone="reliable">
      <div class="tone">
        <span class="swatch big" style={{ background: tone.hex }} aria-hidden="true" />
        <div>
          <p class="verdict">
            Your measured skin color: Monk tone {tone.monk_tone} of 10
          </p>
          <p class="muted small" data-range={`${range.from}-${range.to}`}>
            {range.from === range.to ? 'The same tone on every measured area.' : `Range across your face: ${range.from} to ${range.to}.`}{' '}
            {label(tone.category)} (ITA {tone.ita_deg.toFixed(1)}°)
          </p>
        </div>
      </div>
      <MonkScale current={tone.monk_tone} range={range} />
    </div>
  );
}

function MonkScale({ current, range }: { current: number | null; range?: { from: number; to: number } }) {
  return (
    <ol class="monk" aria-label="Monk Skin Tone scale, 1 lightest to 10 darkest">
      {MONK_SCALE.map((hex, i) => {
        const t = i + 1;
        const inRange = !!range && t >= range.from && t <= range.to;
        return (
          <li
            key={hex}
            class={`${t === current ? 'current' : ''}${inRange ? ' in-range' : ''}`}
            style={{ background: hex }}
            aria-label={`tone ${t}${t === current ? ' (your estimate)' : inRange ? ' (in your range)' : ''}`}
            aria-current={t === current ? 'true' : undefined}
          >
            <span class="monk-n">{t}</span>
          </li>
        );
      })}
    </ol>
  );
}
