/**
 * The verdict first: the overall score on the 0–100 scale, the main concerns in their band
 * colours with one plain sentence each, and the disclaimer right there, so a phone shows all
 * of it without scrolling.
 */
import { BAND_COLORS } from '../lib/bands.ts';
import { professionalAdvice } from '../lib/professional.ts';
import type { AnalysisResult } from '../types.ts';
import { ScoreScale } from './ScoreScale.tsx';

export function SummaryCard({ result }: { result: AnalysisResult }) {
  const { summary } = result;
  const faces = result.face?.faces_detected ?? 0;
  const advice = professionalAdvice(result);
  return (
    <section class="card summary" aria-labelledby="summary-h" data-part="summary">
      <h2 id="summary-h">Summary</h2>
      <ScoreScale name="overall" score={summary.overall} big />
      {summary.concerns.length === 0 ? (
        <p class="ok">No concern stands out: every measured score is good or better.</p>
      ) : (
        <ul class="concerns" aria-label="Main concerns">
          {summary.concerns.map((c) => (
            <li key={c.score} data-concern={c.score} data-band={c.band}>
              <span class="band-chip" style={{ background: BAND_COLORS[c.band] }} aria-hidden="true" />
              <span>{c.text}</span>
            </li>
          ))}
        </ul>
      )}
      {advice && <p class="note" data-part="professional">{advice}</p>}
      {faces > 1 && (
        <p class="note" data-faces={faces}>
          {faces} faces were found in this photo; only the largest one (outlined in the photo below) was analysed.
        </p>
      )}
      <p class="disclaimer" role="note">
        {result.disclaimer}
      </p>
    </section>
  );
}
