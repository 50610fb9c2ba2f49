/**
 * Plots as SVG strings, drawn with vega-lite (headless: no canvas or browser needed). Each plot has
 * a `...Spec` function building its vega-lite spec (what the tests read) and a `render...` one
 * drawing it.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export interface PlotSeries {
  name: string;
  points: [number, number][];
}

/** A vertical rule across a line plot, e.g. where a DAgger round starts. */
export interface PlotMark {
  x: number;
  label: string;
}

export interface LinePlot {
  title: string;
  xTitle: string;
  yTitle: string;
  series: PlotSeries[];
  /** Vertical rules with a label at the top (e.g. round boundaries). */
  marks?: PlotMark[];
  width?: number;
  height?: number;
}

export function linePlotSpec(p: LinePlot): TopLevelSpec {
  const values = p.series.flatMap((s) => s.points.map(([x, y]) => ({ series: s.name, x, y })));
  const x = { field: 'x', type: 'quantitative' as const, title: p.xTitle };
  const line = {
    data: { values },
    mark: { type: 'line' as const, point: values.length < 60 },
    encoding: {
      x,
      y: { field: 'y', type: 'quantitative' as const, title: p.yTitle },
      color: { field: 'series', type: 'nominal' as const, title: null },
    },
  };
  const marks = p.marks ?? [];
  const layer: object[] = [line];
  if (marks.length) {
    const data = { values: marks.map((m) => ({ x: m.x, label: m.label })) };
    layer.push(
      { data, mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { x } },
      {
        data,
        // Pinned to the top edge, left-aligned just right of its rule.
        mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, y: 2, fontSize: 10, color: '#555' },
        encoding: { x, text: { field: 'label' } },
      },
    );
  }
  return {
    $schema: SCHEMA,
    title: p.title,
    width: p.width ?? 480,
    height: p.height ?? 260,
    layer,
  } as TopLevelSpec;
}

export async function renderLinePlot(p: LinePlot): Promise<string> {
  return toSvg(linePlotSpec(p));
}

async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface RateBar {
  /** Shown whole, wrapped onto lines of about LABEL_LINE_CHARS; unique among the bars. */
  label: string;
  /** Bars of one group share a colour (e.g. where they were measured); optional. */
  group?: string;
  /** Success rate and its 95% interval, fractions in [0, 1]. */
  rate: number;
  ci95: [number, number];
}

/** Characters per line of a wrapped bar label (about 200 px at 11 px sans-serif). */
export const LABEL_LINE_CHARS = 34;

/**
 * `label` cut into lines at spaces, each at most `width` characters unless one word is longer: the
 * lines joined with single spaces give the label back (nothing is dropped or abbreviated).
 */
export function wrapLabel(label: string, width = LABEL_LINE_CHARS): string[] {
  const lines: string[] = [];
  let line = '';
  // A line break in the label is kept as one (e.g. policy on one line, where on the next).
  for (const word of label
    .replace(/\n/g, ' \n ')
    .split(/[ \t]+/)
    .filter(Boolean)) {
    if (word === '\n') {
      if (line) lines.push(line);
      line = '';
    } else if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** Horizontal bars of success rates with their 95% intervals as error bars; every label whole. */
export function rateBarsSpec(title: string, bars: RateBar[], width = 480): TopLevelSpec {
  const seen = new Set<string>();
  for (const b of bars) {
    // Two bars with one label would be drawn as one (vega-lite groups a nominal axis by value).
    if (seen.has(b.label)) throw new Error(`renderRateBars: two bars are labelled "${b.label}"`);
    seen.add(b.label);
  }
  const wrapped = bars.map((b) => wrapLabel(b.label));
  const lines = Math.max(1, ...wrapped.map((w) => w.length));
  const values = bars.map((b, i) => ({
    label: wrapped[i].join('\n'),
    group: b.group ?? '',
    rate: 100 * b.rate,
    lo: 100 * b.ci95[0],
    hi: 100 * b.ci95[1],
  }));
  const y = {
    field: 'label',
    type: 'nominal' as const,
    title: null,
    sort: values.map((v) => v.label),
    axis: {
      // No length limit (vega-lite cuts labels at 180 px with an ellipsis); one text line per label line.
      labelLimit: 0,
      labelExpr: "split(datum.value, '\\n')",
      labelFontSize: 11,
      labelLineHeight: 13,
      // Centre a label's block of lines on its bar (vega puts the first line on the tick).
      labelOffset: { expr: `-6.5 * (length(split(datum.value, '\\n')) - 1)` },
    },
  };
  const grouped = bars.some((b) => b.group !== undefined);
  const color = grouped
    ? {
        color: {
          field: 'group',
          type: 'nominal' as const,
          title: null,
          sort: [...new Set(values.map((v) => v.group))],
        },
      }
    : {};
  return {
    $schema: SCHEMA,
    title,
    width,
    height: (14 + 13 * lines) * bars.length,
    data: { values },
    layer: [
      {
        mark: 'bar',
        encoding: {
          y,
          x: {
            field: 'rate',
            type: 'quantitative',
            title: 'success, % (bars: 95% interval)',
            scale: { domain: [0, 100] },
          },
          ...color,
        },
      },
      {
        mark: { type: 'rule', strokeWidth: 2, color: '#222' },
        encoding: { y, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } },
      },
    ],
  } as TopLevelSpec;
}

export async function renderRateBars(title: string, bars: RateBar[], width = 480): Promise<string> {
  return toSvg(rateBarsSpec(title, bars, width));
}

/** Histogram bins on the data's own range: [lo, lo + step·counts.length), plus the values beyond. */
export interface HistogramBins {
  lo: number;
  step: number;
  counts: number[];
  /** Values at or above the last bin's upper edge (a long tail cut at the 99th percentile). */
  over: number;
  min: number;
  max: number;
}

/** 1, 2 or 5 × 10^k, the smallest at least x. */
function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x * (1 - 1e-9)) return m * p;
  return 10 * p;
}

/**
 * Bins from the data's minimum (not from 0) to its maximum, or — when a few outliers lie far out
 * (beyond twice the span of the 99% below them) — to the 99th percentile, the rest counted in `over`:
 * a step latency of 0.1 ms with one 4 ms outlier would otherwise put every step into one bar.
 */
export function histogramBins(values: number[], maxBins = 40): HistogramBins {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!finite.length) return { lo: 0, step: 1, counts: [], over: 0, min: NaN, max: NaN };
  const min = finite[0];
  const max = finite[finite.length - 1];
  const p99 = finite[Math.min(finite.length - 1, Math.floor(0.99 * finite.length))];
  const tail = max - min > 2 * (p99 - min) && p99 > min;
  const top = tail ? p99 : max;
  const step = niceStep(top > min ? (top - min) / maxBins : Math.abs(min) / 10 || 1);
  const lo = Math.floor(min / step) * step;
  const n = Math.max(1, Math.floor((top - lo) / step) + 1);
  const counts = new Array<number>(n).fill(0);
  let over = 0;
  for (const v of finite) {
    const i = Math.floor((v - lo) / step + 1e-9);
    if (i >= n) over++;
    else counts[Math.max(0, i)]++;
  }
  return { lo, step, counts, over, min, max };
}

/** Decimals that show a bin edge of this step exactly. */
const decimalsFor = (step: number) => Math.max(0, -Math.floor(Math.log10(step) + 1e-9));

export function histogramSpec(title: string, xTitle: string, values: number[], width = 480): TopLevelSpec {
  const b = histogramBins(values);
  const d = decimalsFor(b.step);
  const hiEdge = b.lo + b.step * b.counts.length;
  const rows = b.counts.map((count, i) => ({ x0: b.lo + i * b.step, x1: b.lo + (i + 1) * b.step, count, kind: 'bin' }));
  const layer: object[] = [
    {
      data: { values: rows },
      mark: { type: 'bar', binSpacing: 1 },
      encoding: {
        x: {
          field: 'x0',
          type: 'quantitative',
          title: xTitle,
          scale: { domain: [b.lo, b.over ? hiEdge + 2 * b.step : hiEdge], zero: false, nice: false },
        },
        x2: { field: 'x1' },
        y: { field: 'count', type: 'quantitative', title: 'steps', scale: { zero: true } },
        y2: { datum: 0 },
      },
    },
  ];
  let subtitle: string | undefined;
  if (b.over) {
    // The tail beyond the 99th percentile, one bar past a gap so it is not read as a bin.
    layer.push({
      data: { values: [{ x0: hiEdge + b.step, x1: hiEdge + 2 * b.step, count: b.over }] },
      mark: { type: 'bar', color: '#e45756' },
      encoding: {
        x: { field: 'x0', type: 'quantitative' },
        x2: { field: 'x1' },
        y: { field: 'count', type: 'quantitative' },
        y2: { datum: 0 },
      },
    });
    subtitle = `red bar: the ${b.over} above ${hiEdge.toFixed(d)} (max ${b.max.toFixed(d)})`;
  }
  return {
    $schema: SCHEMA,
    title: subtitle ? { text: title, subtitle } : title,
    width,
    height: 200,
    layer,
  } as TopLevelSpec;
}

/** Histogram of values (e.g. latencies) binned on the data's own range; a far tail is one red bar. */
export async function renderHistogram(title: string, xTitle: string, values: number[], width = 480): Promise<string> {
  return toSvg(histogramSpec(title, xTitle, values, width));
}
