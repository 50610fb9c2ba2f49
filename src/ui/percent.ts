/** Rates in [0, 1] as percentages for terminal lines and reports. */

/** One decimal: 0.925 → "92.5%"; "–" where there is no rate. */
export const formatPercent = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);

/** A rate as a whole percentage for status lines ("83%"); "–" before there is one. */
export function wholePercent(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(0)}%`;
}
