/**
 * The photo with the analysis drawn over it: one layer per concern, tinted as strongly as its
 * score is low, with a legend; each layer switchable by a labelled checkbox. On a desktop the
 * switches sit beside the photo, which is capped to the window's height, so both are on screen.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { CONCERN_LAYERS, MAX_ALPHA } from '../lib/concerns.ts';
import { canvasSize, drawAll, faceView, LAYERS, REGION_COLORS, type Layer } from '../lib/draw.ts';
import { label } from '../lib/format.ts';
import type { AnalysisResult } from '../types.ts';

const INITIAL = Object.fromEntries(LAYERS.map((l) => [l.id, l.on])) as Record<Layer, boolean>;

export function Overlay({ result, imageUrl }: { result: AnalysisResult; imageUrl: string | null }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [img, setImg] = useState<HTMLImageElement | null>(null);
  const [on, setOn] = useState<Record<Layer, boolean>>(INITIAL);
  const [zoom, setZoom] = useState(true);
  const [cssWidth, setCssWidth] = useState(0);
  const canZoom = !!result.face;

  useEffect(() => {
    setImg(null);
    if (!imageUrl) return;
    const el = new Image();
    el.onload = () => setImg(el);
    el.src = imageUrl;
  }, [imageUrl]);

  // Redraw when the displayed size changes (rotation, window resize): labels are sized in CSS px.
  useEffect(() => {
    const c = canvas.current;
    if (!c || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(([entry]) => setCssWidth(Math.round(entry!.contentRect.width)));
    ro.observe(c);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const view = zoom && canZoom ? faceView(result) : { x: 0, y: 0, w: 1, h: 1 };
    const size = canvasSize(result, view);
    c.width = size.width;
    c.height = size.height;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    const labels = drawAll(ctx, result, img, on, view, c.width / (cssWidth || c.clientWidth || c.width));
    c.dataset.zoom = String(zoom && canZoom);
    c.dataset.layers = LAYERS.filter((l) => on[l.id]).map((l) => l.id).join(' ');
    c.dataset.photo = img ? 'yes' : 'no';
    c.dataset.labels = JSON.stringify(labels);
  }, [result, img, on, zoom, cssWidth]);

  const regions = Object.keys(result.regions);
  const shown = CONCERN_LAYERS.filter((l) => on[l.id]);
  const description =
    `Photo with ${LAYERS.filter((l) => on[l.id] && l.id !== 'photo').map((l) => l.name.toLowerCase()).join(', ') || 'no overlays'}` +
    (result.face ? `; ${result.face.landmarks.length} landmarks and ${regions.length} skin regions found.` : '; no face landmarks.');

  return (
    <section class="overlay" aria-labelledby="overlay-h">
      <h2 id="overlay-h">Your photo, analysed</h2>
      <div class="overlay-body">
        <div class="canvas-wrap">
          <canvas ref={canvas} id="overlay-canvas" role="img" aria-label={description} />
        </div>
        <div class="overlay-controls">
          <fieldset class="layers">
            <legend>Layers</legend>
            {LAYERS.map((l) => (
              <label key={l.id} class="toggle">
                <input
                  type="checkbox"
                  name={`layer-${l.id}`}
                  checked={on[l.id]}
                  onChange={(e) => setOn({ ...on, [l.id]: (e.currentTarget as HTMLInputElement).checked })}
                />
                {l.name}
              </label>
            ))}
            {canZoom && (
              <label class="toggle zoom">
                <input type="checkbox" name="zoom" checked={zoom} onChange={(e) => setZoom((e.currentTarget as HTMLInputElement).checked)} />
                Zoom to the face
              </label>
            )}
          </fieldset>
          {shown.length > 0 && (
            <ul class="tint-legend" aria-label="Tint strength by score: strongest at 0, none at 100">
              {shown.map((l) => {
                const [r, g, b] = l.color;
                return (
                  <li key={l.id} data-legend={l.id}>
                    <span class="tint-name">{l.name}</span>
                    <span
                      class={`tint-bar ${l.pattern}`}
                      aria-hidden="true"
                      style={{ background: `linear-gradient(to right, rgba(${r},${g},${b},${MAX_ALPHA}), rgba(${r},${g},${b},0))` }}
                    />
                    <span class="tint-ends small">
                      <span>score 0</span>
                      <span>100</span>
                    </span>
                  </li>
                );
              })}
            </ul>
          )}
          {!imageUrl && <p class="hint">The photo was not stored, so the analysis is drawn on a plain background.</p>}
          <p class="hint">
            Each concern is drawn where it was measured; the lower its score there, the stronger the tint. Acne, even tone and shine are
            scored on the whole face, so they are not drawn.
          </p>
          {on.regions && (
            <ul class="legend" aria-label="Region colors">
              {regions.map((r) => (
                <li key={r}>
                  <span class="dot" style={{ background: REGION_COLORS[r] ?? '#fff' }} aria-hidden="true" />
                  {label(r)}
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </section>
  );
}
