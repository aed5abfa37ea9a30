/**
 * Take the photo with the camera (getUserMedia, front camera, an oval guide for the face) or
 * pick a file. The preview is mirrored like a mirror; the captured photo is not.
 * While the camera runs, live checks (web/src/capture/) tell the person what to fix and take
 * the photo by themselves once every check has passed for about a second; the button stays.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { LiveGuidance, type GuidanceState } from '../capture/live-guidance.ts';
import { GuidancePanel } from './GuidancePanel.tsx';

const ACCEPT = 'image/jpeg,image/png,image/webp';

export function CaptureView({ onPhoto }: { onPhoto: (photo: Blob) => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const stream = useRef<MediaStream | null>(null);
  const [camera, setCamera] = useState<'off' | 'starting' | 'on'>('off');
  const [error, setError] = useState<string | null>(null);
  const [guidance, setGuidance] = useState<GuidanceState | null>(null);
  const live = useRef<LiveGuidance | null>(null);
  const canUseCamera = typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia;

  const stop = () => {
    live.current?.stop();
    live.current = null;
    setGuidance(null);
    stream.current?.getTracks().forEach((t) => t.stop());
    stream.current = null;
    setCamera('off');
  };
  useEffect(() => stop, []);

  async function start() {
    setError(null);
    setCamera('starting');
    try {
      const s = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: 'user', width: { ideal: 1280 }, height: { ideal: 960 } },
        audio: false,
      });
      stream.current = s;
      setCamera('on');
    } catch (err) {
      setCamera('off');
      const name = (err as DOMException).name;
      setError(
        name === 'NotAllowedError'
          ? 'Camera access was refused. Allow it in the browser, or upload a photo instead.'
          : name === 'NotFoundError'
            ? 'No camera was found. Upload a photo instead.'
            : `The camera could not start (${name}). Upload a photo instead.`,
      );
    }
  }

  // Attach the stream once the <video> is in the page.
  useEffect(() => {
    if (camera === 'on' && video.current && stream.current) {
      video.current.srcObject = stream.current;
      void video.current.play().catch(() => {});
      live.current = new LiveGuidance(video.current, setGuidance, () => snap());
    }
  }, [camera]);

  function snap() {
    const v = video.current;
    if (!v || !v.videoWidth) return;
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    c.getContext('2d')!.drawImage(v, 0, 0);
    c.toBlob(
      (blob) => {
        if (!blob) return setError('The photo could not be captured. Try again.');
        stop();
        onPhoto(blob);
      },
      'image/jpeg',
      0.92,
    );
  }

  return (
    <section class="panel" aria-labelledby="capture-h">
      <h1 id="capture-h" tabIndex={-1}>
        Take or upload a photo
      </h1>
      <p class="muted">
        Face the camera in even daylight (a window in front of you is ideal), no glasses, hair off the forehead, neutral face.
      </p>
      {camera !== 'off' && (
        <div
          class="camera"
          data-guidance={guidance?.status ?? 'off'}
          data-all-passed={guidance?.status === 'live' && guidance.checks.every((c) => c.ok) ? 'yes' : 'no'}
          data-checks-per-second={guidance ? guidance.rate.toFixed(1) : undefined}
          data-check-ms={guidance ? guidance.checkMs.toFixed(1) : undefined}
          data-checks-total={guidance ? guidance.count : undefined}
        >
          <video ref={video} playsInline muted autoPlay aria-label="Camera preview" />
          {/* The guide: where the face should sit for the landmarks and regions to be reliable. */}
          <svg class="guide" viewBox="0 0 100 100" preserveAspectRatio="none" aria-hidden="true">
            <defs>
              <mask id="guide-mask">
                <rect width="100" height="100" fill="white" />
                <ellipse cx="50" cy="47" rx="22" ry="33" fill="black" />
              </mask>
            </defs>
            <rect width="100" height="100" fill="rgba(0,0,0,0.45)" mask="url(#guide-mask)" />
            <ellipse class="guide-oval" cx="50" cy="47" rx="22" ry="33" fill="none" stroke-width="0.8" stroke-dasharray="3 2" vector-effect="non-scaling-stroke" />
          </svg>
          <p class="guide-text" aria-live="polite">
            {mainInstruction(guidance)}
          </p>
        </div>
      )}
      {camera === 'on' && guidance && <GuidancePanel state={guidance} />}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        {camera === 'on' ? (
          <>
            <button type="button" class="primary" onClick={snap}>
              Take photo
            </button>
            <button type="button" onClick={stop}>
              Stop camera
            </button>
          </>
        ) : (
          canUseCamera && (
            <button type="button" class="primary" onClick={start} disabled={camera === 'starting'}>
              {camera === 'starting' ? 'Starting camera…' : 'Use camera'}
            </button>
          )
        )}
        <label class="button file">
          Upload a photo
          <input
            type="file"
            name="photo"
            accept={ACCEPT}
            class="visually-hidden"
            onChange={(e) => {
              const f = e.currentTarget.files?.[0];
              if (f) {
                stop();
                onPhoto(f);
              }
            }}
          />
        </label>
      </div>
      <p class="hint">JPEG, PNG or WebP, up to 10 MB.</p>
    </section>
  );
}

/** The one instruction over the preview: the first check that fails, or what happens next. */
function mainInstruction(g: GuidanceState | null): string {
  if (!g || g.status !== 'live') return 'Fit your face inside the oval';
  const failing = g.checks.find((c) => c.ok === false);
  if (failing?.instruction) return failing.instruction;
  return 'Hold still: taking the photo…';
}
