/** Plain fixed-width tables for benchmark output. */
import { formatTable } from '../src/ui/text-table.js';

export function printTable(headers: string[], rows: (string | number)[][]): void {
  console.log(formatTable(headers, rows));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
