/**
 * The pipeline's stages in the order they run, as `timings_ms` names them (plus `total`, their
 * sum). Plain data: the web dashboard imports it to order its latency table.
 */
export const STAGES = ['decode', 'detect', 'landmarks', 'regions', 'models', 'measures'] as const;
export type Stage = (typeof STAGES)[number];
