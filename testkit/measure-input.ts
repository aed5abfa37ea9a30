/**
 * A measure input with fresh image and mask objects, as the pipeline passes them on every call,
 * so that no cache keyed by an input object survives from one call to the next.
 */
import type { MeasureInput } from '../src/engine/measures/index.ts';

export const copyData = <T extends { data: Uint8Array }>(m: T): T => ({ ...m, data: m.data.slice() });

export const freshMeasureInput = (m: MeasureInput): MeasureInput => ({
  ...m,
  image: copyData(m.image),
  skin: copyData(m.skin),
  regions: Object.fromEntries(Object.entries(m.regions).map(([k, v]) => [k, copyData(v)])) as MeasureInput['regions'],
  wrinkleZones: Object.fromEntries(Object.entries(m.wrinkleZones).map(([k, v]) => [k, copyData(v)])) as MeasureInput['wrinkleZones'],
});
