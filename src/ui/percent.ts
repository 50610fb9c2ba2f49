/** A rate as a whole percentage for status lines ("83%"); "–" before there is one. */
export function wholePercent(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(0)}%`;
}
