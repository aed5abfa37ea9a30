/** A new scan: consent → photo → uploading → analysing → the result page. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import { focusHeading } from '../lib/focus.ts';
import { keepsPhoto, setKeepsPhoto } from '../lib/keep-photo.ts';
import { keepLocalPhoto } from '../lib/photos.ts';
import { navigate } from '../lib/router.ts';
import { getSession } from '../session.ts';
import { CaptureView } from './CaptureView.tsx';
import { ConsentView, type Consent } from './ConsentView.tsx';

type Step =
  | { kind: 'consent' }
  | { kind: 'capture' }
  | { kind: 'uploading'; fraction: number }
  | { kind: 'analysing'; scanId: string; seconds: number }
  | { kind: 'failed'; message: string; code: string };

const POLL_MS = 600;
/** The service's default upload limit (SKINSIGHT_UPLOAD_LIMIT_MB = 10): checked here first, so a big file is refused before it is sent. */
export const UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024;

export function ScanFlow() {
  const [step, setStep] = useState<Step>({ kind: 'consent' });
  const consent = useRef<Consent>({ storeImage: false });
  const account = getSession()?.email ?? '';
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);
  // Each step is a new view: focus its heading (the first one is focused by App on the route change).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) return void (first.current = false);
    focusHeading();
  }, [step.kind]);

  async function run(photo: Blob) {
    if (photo.size > UPLOAD_LIMIT_BYTES) {
      return setStep({ kind: 'failed', code: 'IMAGE_TOO_LARGE', message: failureText('IMAGE_TOO_LARGE', undefined) + ` This one is ${(photo.size / 1024 / 1024).toFixed(1)} MB.` });
    }
    setStep({ kind: 'uploading', fraction: 0 });
    try {
      const { scan_id } = await api.initScan();
      keepLocalPhoto(scan_id, photo);
      try {
        await api.upload(scan_id, photo, consent.current, (fraction) => alive.current && setStep({ kind: 'uploading', fraction }));
      } catch (err) {
        // The service refused the photo: the scan never got one, so it is deleted rather than left pending.
        if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 401) void api.deleteScan(scan_id).catch(() => {});
        throw err;
      }
      const started = Date.now();
      // Poll the status until the analysis is done; the service answers quickly, the engine takes ~1 s.
      for (;;) {
        if (!alive.current) return;
        setStep({ kind: 'analysing', scanId: scan_id, seconds: Math.round((Date.now() - started) / 1000) });
        const s = await api.status(scan_id);
        if (s.status === 'completed') return navigate(`/scan/${scan_id}`);
        if (s.status === 'failed') {
          return setStep({ kind: 'failed', code: s.error?.code ?? 'FAILED', message: failureText(s.error?.code, s.error?.message) });
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(0, 'ERROR', String(err));
      setStep({ kind: 'failed', code: e.code, message: failureText(e.code, e.message) });
    }
  }

  switch (step.kind) {
    case 'consent':
      return (
        <ConsentView
          initialStore={account !== '' && keepsPhoto(account)}
          onAccept={(c) => {
            consent.current = c;
            // Remembered for this account only (lib/keep-photo.ts).
            if (account !== '') setKeepsPhoto(account, c.storeImage);
            setStep({ kind: 'capture' });
          }}
        />
      );
    case 'capture':
      return <CaptureView onPhoto={run} />;
    case 'uploading':
    case 'analysing':
      return (
        <section class="panel narrow" aria-labelledby="progress-h">
          <h1 id="progress-h" tabIndex={-1}>
            {step.kind === 'uploading' ? 'Uploading…' : 'Analysing…'}
          </h1>
          <ol class="steps">
            <li class={step.kind === 'uploading' ? 'current' : 'done'}>Upload</li>
            <li class={step.kind === 'analysing' ? 'current' : ''}>Analyse</li>
            <li>Results</li>
          </ol>
          <progress
            max={1}
            value={step.kind === 'uploading' ? step.fraction : undefined}
            aria-label={step.kind === 'uploading' ? 'Upload progress' : 'Analysis in progress'}
          />
          <p role="status" aria-live="polite" class="muted" id="progress-status">
            {step.kind === 'uploading'
              ? `Uploading your photo: ${Math.round(step.fraction * 100)} %`
              : `Finding your face and measuring your skin${step.seconds > 1 ? ` (${step.seconds} s)` : ''}…`}
          </p>
        </section>
      );
    case 'failed':
      return (
        <section class="panel narrow" aria-labelledby="failed-h">
          <h1 id="failed-h" tabIndex={-1}>
            The photo could not be analysed
          </h1>
          <p class="error" role="alert" data-code={step.code}>
            {step.message}
          </p>
          <div class="actions">
            <button type="button" class="primary" onClick={() => setStep({ kind: 'capture' })}>
              Try another photo
            </button>
          </div>
        </section>
      );
  }
}

/** Failure codes in words a person can act on. */
function failureText(code: string | undefined, message: string | undefined): string {
  switch (code) {
    case 'NO_FACE':
      return 'No face was found. Face the camera, fill the oval, and make sure your face is well lit.';
    case 'UNSUPPORTED_FORMAT':
      return 'This file is not a JPEG, PNG or WebP photo.';
    case 'IMAGE_TOO_LARGE':
      return 'The photo is too large (over 10 MB). Use a smaller photo.';
    case 'IMAGE_TOO_SMALL':
      return 'The photo is too small to analyse. Use a larger or closer photo.';
    case 'CORRUPT_IMAGE':
      return 'The photo could not be read; it may be damaged.';
    case 'QUEUE_FULL':
      return 'The service is busy. Try again in a moment.';
    default:
      return message || 'Something went wrong.';
  }
}
