/**
 * The operator's inference analytics, live (refreshed every 15 s), one column per model
 * version so two versions can be compared side by side.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { label } from '../lib/format.ts';
import type { Agreement, Analytics, VersionStats } from '../types.ts';
import { STAGES } from '../../../src/engine/stages.ts';

const REFRESH_MS = 15_000;
// The engine's stages in order, then their sum and the service's end-to-end time.
const STAGE_ORDER: readonly string[] = [...STAGES, 'total', 'end_to_end'];

function HourBars({ v, from, hours }: { v: VersionStats; from: string; hours: number }) {
  // One bar per hour of the window, so quiet hours show as gaps, not as nothing.
  const start = Math.floor(Date.parse(from) / 3_600_000);
  const n = Math.min(hours, 72);
  const first = start + hours - n;
  const byHour = new Map(v.per_hour.map((h) => [Math.floor(Date.parse(h.hour) / 3_600_000), h]));
  const buckets = Array.from({ length: n + 1 }, (_, i) => byHour.get(first + i) ?? { completed: 0, failed: 0 });
  const max = Math.max(1, ...buckets.map((b) => b.completed + b.failed));
  const W = buckets.length * 10;
  const H = 100;
  const last = buckets[buckets.length - 1]!;
  // Bars stretch to the width (preserveAspectRatio none); the labels are HTML so they keep their size.
  return (
    <div class="hours-chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        class="chart hours"
        role="img"
        aria-label={`Scans per hour over the last ${n} hours; the busiest hour had ${max}, this hour ${last.completed + last.failed}.`}
      >
        {buckets.map((b, i) => {
          const hc = (b.completed / max) * H;
          const hf = (b.failed / max) * H;
          return (
            <g key={i}>
              <rect x={i * 10 + 1} width={8} y={H - hc} height={hc} fill="#0b5d57" />
              <rect x={i * 10 + 1} width={8} y={H - hc - hf} height={hf} fill="#c62828" />
            </g>
          );
        })}
      </svg>
      <div class="hours-axis muted small">
        <span>−{n} h</span>
        <span>busiest hour: {max}</span>
        <span>now</span>
      </div>
    </div>
  );
}

function Distribution({ name, counts }: { name: string; counts: Record<string, number> }) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0) || 1;
  const entries = Object.entries(counts).sort(([a, x], [b, y]) => (name === 'monk_tone' ? Number(a) - Number(b) : y - x));
  return (
    <div class="dist">
      <h4>{label(name)}</h4>
      {entries.map(([k, c]) => (
        <div class="bar" key={k}>
          <span class="bar-label">{label(k)}</span>
          <span class="bar-track" role="meter" aria-label={`${label(name)} ${label(k)}`} aria-valuemin={0} aria-valuemax={total} aria-valuenow={c}>
            <span class={`bar-fill${k === 'unavailable' ? ' grey' : ''}`} style={{ width: `${(c / total) * 100}%` }} />
          </span>
          <span class="bar-value">{c}</span>
        </div>
      ))}
    </div>
  );
}

function VersionCard({ v, data }: { v: VersionStats; data: Analytics }) {
  const stages = Object.keys(v.latency_ms).sort((a, b) => (STAGE_ORDER.indexOf(a) + 99) % 99 - (STAGE_ORDER.indexOf(b) + 99) % 99);
  const rate = v.completed + v.failed ? v.failed / (v.completed + v.failed) : 0;
  return (
    <section class="card version" aria-label={`Model version ${v.version}`} data-version={v.version}>
      <h2 class="version-name">{v.version}</h2>
      <dl class="kpis">
        <div>
          <dt>Scans</dt>
          <dd data-kpi="scans">{v.scans}</dd>
        </div>
        <div>
          <dt>Completed</dt>
          <dd>{v.completed}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd>
            {v.failed} <span class="muted">({Math.round(rate * 100)} %)</span>
          </dd>
        </div>
        <div>
          <dt>In flight</dt>
          <dd>{v.in_flight}</dd>
        </div>
      </dl>
      <h3>Scans per hour</h3>
      <HourBars v={v} from={data.from} hours={data.hours} />
      <p class="legend-inline">
        <span class="dot" style={{ background: '#0b5d57' }} aria-hidden="true" /> completed{' '}
        <span class="dot" style={{ background: '#c62828' }} aria-hidden="true" /> failed
      </p>
      <h3>Latency per stage (ms)</h3>
      {stages.length ? (
        <div class="table-scroll">
          <table class="latency">
            <thead>
              <tr>
                <th scope="col">Stage</th>
                <th scope="col">n</th>
                <th scope="col">p50</th>
                <th scope="col">p90</th>
                <th scope="col">p99</th>
              </tr>
            </thead>
            <tbody>
              {stages.map((s) => {
                const p = v.latency_ms[s]!;
                return (
                  <tr key={s}>
                    <th scope="row">{label(s)}</th>
                    <td>{p.n}</td>
                    <td>{p.p50.toFixed(0)}</td>
                    <td>{p.p90.toFixed(0)}</td>
                    <td>{p.p99.toFixed(0)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : (
        <p class="muted">No completed scans.</p>
      )}
      <h3>Failure reasons</h3>
      {v.failures.length ? (
        <ul class="failures">
          {v.failures.map((f) => (
            <li key={f.code}>
              <code>{f.code}</code> × {f.count}
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">None.</p>
      )}
      {Object.keys(v.classes).length > 0 && (
        <>
          <h3>Predicted classes</h3>
          <div class="dists">
            {Object.entries(v.classes).map(([k, c]) => (
              <Distribution key={k} name={k} counts={c} />
            ))}
          </div>
        </>
      )}
    </section>
  );
}

export function Dashboard() {
  const [hours, setHours] = useState(24);
  const [data, setData] = useState<Analytics | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [updated, setUpdated] = useState<Date | null>(null);

  useEffect(() => {
    let stop = false;
    const load = () =>
      api.analytics(hours).then(
        (d) => {
          if (stop) return;
          setData(d);
          setError(null);
          setUpdated(new Date());
        },
        (err) => !stop && setError(err instanceof ApiError ? err.message : String(err)),
      );
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [hours]);

  return (
    <section class="dashboard" aria-labelledby="dash-h">
      <h1 id="dash-h" tabIndex={-1}>
        Inference analytics
      </h1>
      <div class="toolbar">
        <label for="hours">Window</label>
        <select id="hours" value={hours} onChange={(e) => setHours(Number(e.currentTarget.value))}>
          <option value={1}>last hour</option>
          <option value={24}>last 24 hours</option>
          <option value={168}>last 7 days</option>
          <option value={720}>last 30 days</option>
        </select>
        <span class="muted" role="status" aria-live="polite">
          {updated ? `Updated ${updated.toLocaleTimeString()}` : 'Loading…'}
          {data && ` · ${data.total_scans} scans${data.truncated ? ' (newest only)' : ''}`}
        </span>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {data && data.versions.length === 0 && <p>No scans in this window yet.</p>}
      <div class="versions">{data?.versions.map((v) => <VersionCard key={v.version} v={v} data={data} />)}</div>
      {data?.agreement && data.agreement.length > 0 && <AgreementCard rows={data.agreement} />}
    </section>
  );
}

/** Shadow candidates (run beside the live model, never shown to users): how often they agree. */
function AgreementCard({ rows }: { rows: Agreement[] }) {
  return (
    <section class="card" aria-labelledby="agree-h">
      <h2 id="agree-h">Shadow models: agreement with the live model</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Live</th>
            <th scope="col">Shadow</th>
            <th scope="col">Scans</th>
            <th scope="col">Agree</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((a) => (
            <tr key={`${a.task}|${a.live}|${a.shadow}`}>
              <td>{label(a.task)}</td>
              <td>{a.live}</td>
              <td>{a.shadow}</td>
              <td>{a.n}</td>
              <td>{Math.round(a.rate * 100)} %</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
