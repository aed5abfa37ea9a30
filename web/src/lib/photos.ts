/**
 * Photos taken in this tab, by scan id. A photo that was not stored on the server can still be
 * drawn under its result until the tab closes; nothing is written to disk.
 */
const local = new Map<string, string>();

export function keepLocalPhoto(scanId: string, blob: Blob): void {
  local.set(scanId, URL.createObjectURL(blob));
}

export function localPhoto(scanId: string): string | null {
  return local.get(scanId) ?? null;
}

export function forgetLocalPhoto(scanId: string): void {
  const url = local.get(scanId);
  if (url) URL.revokeObjectURL(url);
  local.delete(scanId);
}
