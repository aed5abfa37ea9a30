/** The photo with the analysis drawn over it, each layer switchable by a labelled checkbox. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { canvasSize, drawAll, faceView, LAYERS, REGION_COLORS, type Layer } from '../lib/draw.ts';
import { label } from '../lib/format.ts';
import type { AnalysisResult } from '../types.ts';

export function Overlay({ result, imageUrl }: { result: AnalysisResult; imageUrl: string | null }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [img, setImg] = useState<HTMLImageElement | null>(null);
  const [on, setOn] = useState<Record<Layer, boolean>>({ photo: true, mesh: true, regions: true, findings: true });
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
    drawAll(ctx, result, img, on, view, c.width / (cssWidth || c.clientWidth || c.width));
    c.dataset.zoom = String(zoom && canZoom);
    c.dataset.layers = LAYERS.filter((l) => on[l.id]).map((l) => l.id).join(' ');
    c.dataset.photo = img ? 'yes' : 'no';
  }, [result, img, on, zoom, cssWidth]);

  const regions = Object.keys(result.regions);
  const description =
    `Photo with ${LAYERS.filter((l) => on[l.id] && l.id !== 'photo').map((l) => l.name.toLowerCase()).join(', ') || 'no overlays'}` +
    (result.face ? `; ${result.face.landmarks.length} landmarks and ${regions.length} skin regions found.` : '; no face landmarks.');

  return (
    <section class="overlay" aria-labelledby="overlay-h">
      <h2 id="overlay-h">Your photo, analysed</h2>
      <div class="canvas-wrap">
        <canvas ref={canvas} id="overlay-canvas" role="img" aria-label={description} />
      </div>
      {!imageUrl && (
        <p class="hint">The photo was not stored, so the analysis is drawn on a plain background.</p>
      )}
      {canZoom && (
        <label class="toggle zoom">
          <input type="checkbox" name="zoom" checked={zoom} onChange={(e) => setZoom((e.currentTarget as HTMLInputElement).checked)} />
          Zoom to the face
        </label>
      )}
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
      </fieldset>
      {on.findings && (
        <p class="hint" id="findings-key">
          Findings: the red tint and <b>red N</b> are each region's redness score (0–100); dashed purple outlines mark the
          under-eye areas measured for dark circles; the yellow box is where the face was found.
        </p>
      )}
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
    </section>
  );
}
