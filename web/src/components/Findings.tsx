/**
 * The raw measures and model outputs, for experts, behind the result page's "details"
 * disclosure (the page itself shows the 0–100 scores). A part the engine could not produce
 * ({available:false}) is shown as unavailable with its reason, never as a value. Model
 * probabilities lead with their likelihood word (lib/likelihood.ts); the number follows.
 */
import type { ComponentChildren } from 'preact';
import { fixed, label, pct } from '../lib/format.ts';
import { likelihood } from '../lib/likelihood.ts';
import type { AnalysisResult, Unavailable } from '../types.ts';


function Card({ id, title, children }: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section class="card" aria-labelledby={`${id}-h`} data-part={id}>
      <h3 id={`${id}-h`}>{title}</h3>
      {children}
    </section>
  );
}

function NotAvailable({ part }: { part: Unavailable }) {
  return (
    <p class="unavailable" data-unavailable="true">
      <strong>Not available.</strong> {part.reason}
    </p>
  );
}

/** A labelled horizontal bar; role=meter so screen readers announce the value. */
export function Bar({ name, value, highlight }: { name: string; value: number; highlight?: boolean }) {
  return (
    <div class={`bar${highlight ? ' hi' : ''}`}>
      <span class="bar-label">{label(name)}</span>
      <span
        class="bar-track"
        role="meter"
        aria-label={label(name)}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(value * 100)}
        aria-valuetext={pct(value)}
      >
        <span class="bar-fill" style={{ width: `${Math.max(0, Math.min(1, value)) * 100}%` }} />
      </span>
      <span class="bar-value">{pct(value)}</span>
    </div>
  );
}

function Stat({ name, children }: { name: string; children: ComponentChildren }) {
  return (
    <div class="stat">
      <dt>{name}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function Findings({ result }: { result: AnalysisResult }) {
  const { acne_analysis: acne, condition_analysis: cond } = result.ml_analysis;
  const { skin_type: type, texture_quality: texture, wrinkles, dark_circles: dark, redness } = result.cv_analysis;
  const q = result.quality;

  return (
    <div class="findings">
      <Card id="quality" title="Photo quality">
        <Bar name="confidence in this result" value={result.confidence} />
        <p class="muted small">
          Sharpness {fixed(q.sharpness)} · mean L* {fixed(q.exposure.mean_L, 1)}
          {q.pose && ` · yaw ${fixed(q.pose.yaw, 0)}°, pitch ${fixed(q.pose.pitch, 0)}°, roll ${fixed(q.pose.roll, 0)}°`}
        </p>
        {q.issues.length === 0 ? (
          <p class="ok">No quality problems found.</p>
        ) : (
          <ul class="warnings" aria-label="Quality warnings">
            {q.issues.map((i) => (
              <li key={i.code} class="warning" data-code={i.code}>
                <strong>{i.message}</strong>
                <span>{i.advice}</span>
              </li>
            ))}
          </ul>
        )}
      </Card>

      <Card id="acne" title="Acne">
        {acne.available ? (
          <>
            <p class="verdict">
              Acne {likelihood(acne.probabilities.acne)} <span class="muted">(p = {pct(acne.probabilities.acne)})</span>
            </p>
            {Object.entries(acne.probabilities).map(([k, v]) => (
              <Bar key={k} name={k} value={v} highlight={k === acne.label} />
            ))}
            {(acne.per_region || acne.per_tile) && (
              // Region values are evidence about the whole face read from one area (Platt-calibrated
              // on validation data with image-level labels: src/engine/models/acne-regions.ts), not a
              // finding of acne in that area: no verdict word, no "acne" wording, a caption that says so.
              <div class="per-region" aria-label="Evidence per region">
                <p class="muted small">
                  Evidence per region: how likely the face shows acne, judged from each area alone. Not a
                  diagnosis of that area; the model learned from whole-face labels.
                  {acne.detected_regions == null ? ' Regions do not change the verdict above.' : ''}
                </p>
                {acne.per_region &&
                  Object.entries(acne.per_region).map(([k, v]) =>
                    v === null ? null : <Bar key={k} name={k} value={v} highlight={acne.detected_regions?.includes(k)} />,
                  )}
                {acne.per_tile && (
                  <p class="muted small" aria-label="Evidence per tile">
                    Per tile (top row first): {acne.per_tile.map((row) => row.map((v) => (v === null ? 'no skin' : pct(v))).join(' · ')).join(' / ')}
                  </p>
                )}
              </div>
            )}
            <p class="muted small">
              Model {acne.model.name} {acne.model.version}; threshold {pct(acne.threshold)}
              {acne.region_threshold != null ? `; the face also counts as acne when a region reaches ${pct(acne.region_threshold)}` : ''}.
              {!acne.per_region && !acne.per_tile && acne.regions_reason ? ` No region evidence: ${acne.regions_reason}.` : ''}
            </p>
          </>
        ) : (
          <NotAvailable part={acne} />
        )}
      </Card>

      <Card id="condition" title="Skin condition">
        {cond.available ? (
          <>
            <p class="verdict">
              Most likely: {label(cond.condition)}, {likelihood(cond.confidence)} <span class="muted">(p = {pct(cond.confidence)})</span>
            </p>
            {Object.entries(cond.probabilities)
              .sort(([, a], [, b]) => b - a)
              .map(([k, v]) => (
                <Bar key={k} name={k} value={v} highlight={k === cond.condition} />
              ))}
            <p class="muted small">Model {cond.model.name} {cond.model.version}.</p>
          </>
        ) : (
          <NotAvailable part={cond} />
        )}
      </Card>

      <Card id="type" title="Skin type, texture, wrinkles">
        <dl class="stats">
          <Stat name="Skin type">
            {type.available ? (
              <>
                {label(type.type)}, {likelihood(type.confidence)} <span class="muted">({pct(type.confidence)})</span>
              </>
            ) : (
              <NotAvailable part={type} />
            )}
          </Stat>
          <Stat name="Texture smoothness">
            {texture === null ? (
              <p class="unavailable" data-unavailable="true">
                <strong>Not available.</strong> The skin area was too small to measure texture.
              </p>
            ) : (
              <>
                {fixed(texture)} <span class="muted">(0 rough … 1 smooth)</span>
              </>
            )}
          </Stat>
          <Stat name="Wrinkles">
            {wrinkles.available ? (
              <>
                {wrinkles.detected ? 'visible' : 'few'} · density {fixed(wrinkles.density)}
                <ul class="sub">
                  {Object.entries(wrinkles.per_region).map(([k, v]) => (
                    <li key={k}>
                      {label(k)}: {v ? `${fixed(v.density)}${v.detected ? ' (visible)' : ''}` : 'not measured'}
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              <NotAvailable part={wrinkles} />
            )}
          </Stat>
        </dl>
      </Card>

      <Card id="eyes" title="Dark circles and redness">
        <dl class="stats">
          <Stat name="Dark circles">
            {dark.available ? (
              <>
                {dark.detected ? 'visible' : 'not marked'} · severity {fixed(dark.severity)}
                <span class="muted"> · under-eye {fixed(dark.delta_L, 1)} L* darker than cheeks</span>
              </>
            ) : (
              <NotAvailable part={dark} />
            )}
          </Stat>
          <Stat name="Redness">
            {redness.available ? (
              <>
                <Bar name="overall redness" value={redness.score} />
                <span class="muted small">mean a* {fixed(redness.mean_a, 1)}</span>
              </>
            ) : (
              <NotAvailable part={redness} />
            )}
          </Stat>
        </dl>
      </Card>

    </div>
  );
}
