/**
 * Upload formats the service accepts, judged from the first bytes (the engine's sniffer),
 * never from the file name or the declared type. AVIF decodes in the engine but is not
 * offered for upload.
 */
import { sniffImageFormat as sniffAnyImage } from '../engine/api.ts';

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  const format = sniffAnyImage(bytes);
  return format === 'jpeg' || format === 'png' || format === 'webp' ? format : null;
}

export const MIME_TYPES: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};
