/**
 * A training run's directory: `config.json` (settings used), `metrics.jsonl` (one JSON object per
 * logged point, appended and flushed as it goes, so a killed run keeps its history), learning-curve
 * plots (SVG, vega-lite), and checkpoints under `checkpoints/`.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { renderLinePlot, type PlotSeries } from './plot.js';

export type MetricRow = Record<string, number | string | boolean | null>;

export class RunDir {
  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
  }

  get checkpointsDir(): string {
    return join(this.path, 'checkpoints');
  }

  /** The final policy. */
  get policyDir(): string {
    return join(this.path, 'policy');
  }

  /** The checkpoint `--resume` continues from. */
  get latestDir(): string {
    return join(this.checkpointsDir, 'latest');
  }

  writeJson(name: string, value: unknown): void {
    const file = join(this.path, name);
    writeFileSync(`${file}.tmp`, JSON.stringify(value, null, 2));
    renameSync(`${file}.tmp`, file);
  }

  readJson<T>(name: string): T | null {
    const file = join(this.path, name);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : null;
  }

  writeConfig(config: unknown): void {
    this.writeJson('config.json', config);
  }

  logMetrics(row: MetricRow): void {
    appendFileSync(join(this.path, 'metrics.jsonl'), `${JSON.stringify({ time: new Date().toISOString(), ...row })}\n`);
  }

  /** Logged rows; a torn last line (the run was killed mid-write) is skipped. */
  readMetrics(): MetricRow[] {
    const file = join(this.path, 'metrics.jsonl');
    if (!existsSync(file)) return [];
    const rows: MetricRow[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        rows.push(JSON.parse(line) as MetricRow);
      } catch {
        // A partial line from a killed writer.
      }
    }
    return rows;
  }

  /** Keep only the logged rows `keep` accepts (a resumed run drops what it will log again). */
  rewriteMetrics(keep: (row: MetricRow) => boolean): void {
    const rows = this.readMetrics().filter(keep);
    const text = rows.map((r) => `${JSON.stringify(r)}\n`).join('');
    writeFileSync(join(this.path, 'metrics.jsonl'), text);
  }

  /**
   * Draw `y` fields against `x` from metrics.jsonl into `<name>.svg` (one line per field; rows
   * without the field are skipped).
   */
  async plot(
    name: string,
    title: string,
    x: string,
    ys: string[],
    opts: { xTitle?: string; yTitle?: string } = {},
  ): Promise<string> {
    const rows = this.readMetrics();
    const series: PlotSeries[] = ys.map((y) => ({
      name: y,
      points: rows
        .filter((r) => typeof r[x] === 'number' && typeof r[y] === 'number')
        .map((r) => [r[x] as number, r[y] as number] as [number, number]),
    }));
    const svg = await renderLinePlot({ title, xTitle: opts.xTitle ?? x, yTitle: opts.yTitle ?? ys.join(', '), series });
    const file = join(this.path, `${name}.svg`);
    writeFileSync(file, svg);
    return file;
  }
}
