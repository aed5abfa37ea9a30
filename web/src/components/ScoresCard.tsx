/**
 * Every score on the one 0–100 scale with its band, in the result's own order; the wrinkle
 * zones sit under wrinkles. How each score is made (its raw measures and mapping) is in the
 * disclosure at the end.
 */
import { SCORE_TITLES } from '../lib/bands.ts';
import type { AnalysisResult } from '../types.ts';
import { ScaleKey, ScoreScale } from './ScoreScale.tsx';

export function ScoresCard({ result }: { result: AnalysisResult }) {
  const entries = Object.entries(result.scores);
  return (
    <section class="card" aria-labelledby="scores-h" data-part="scores">
      <h2 id="scores-h">Your scores</h2>
      <p class="muted small">0–100, higher is healthier-looking skin; the whisker is the ± range a retake can move it.</p>
      <ScaleKey />
      <div class="score-list">
        {entries.map(([name, score]) => (
          <div key={name} class={name.startsWith('wrinkles_') ? 'zone' : ''}>
            <ScoreScale name={name} score={score} />
          </div>
        ))}
      </div>
      <details class="basis">
        <summary>How each score is made</summary>
        <dl>
          {entries.map(([name, score]) =>
            score.available ? (
              <div key={name}>
                <dt>{SCORE_TITLES[name] ?? name}</dt>
                <dd>
                  from <code>{score.basis.measures.join(', ')}</code>: {score.basis.mapping}
                  {score.uncertainty !== null && `; ±${score.uncertainty} points (95 %, measured test–retest)`}
                </dd>
              </div>
            ) : null,
          )}
        </dl>
      </details>
    </section>
  );
}
