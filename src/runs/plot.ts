/** Line plots as SVG strings, drawn with vega-lite (headless: no canvas or browser needed). */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface PlotSeries {
  name: string;
  points: [number, number][];
}

export interface LinePlot {
  title: string;
  xTitle: string;
  yTitle: string;
  series: PlotSeries[];
  width?: number;
  height?: number;
}

export async function renderLinePlot(p: LinePlot): Promise<string> {
  const values = p.series.flatMap((s) => s.points.map(([x, y]) => ({ series: s.name, x, y })));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: p.title,
    width: p.width ?? 480,
    height: p.height ?? 260,
    data: { values },
    mark: { type: 'line', point: values.length < 60 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: p.xTitle },
      y: { field: 'y', type: 'quantitative', title: p.yTitle },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
  return toSvg(spec);
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
  label: string;
  /** Success rate and its 95% interval, fractions in [0, 1]. */
  rate: number;
  ci95: [number, number];
}

/** Horizontal bars of success rates with their 95% intervals as error bars. */
export async function renderRateBars(title: string, bars: RateBar[], width = 480): Promise<string> {
  const values = bars.map((b) => ({ label: b.label, rate: 100 * b.rate, lo: 100 * b.ci95[0], hi: 100 * b.ci95[1] }));
  const y = { field: 'label', type: 'nominal' as const, title: null, sort: bars.map((b) => b.label) };
  return toSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width,
    height: 26 * bars.length,
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
        },
      },
      {
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: { y, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } },
      },
    ],
  } as TopLevelSpec);
}

/** Histogram of positive values (e.g. latencies), bins chosen by vega-lite. */
export async function renderHistogram(title: string, xTitle: string, values: number[], width = 480): Promise<string> {
  return toSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width,
    height: 200,
    data: { values: values.map((v) => ({ v })) },
    mark: 'bar',
    encoding: {
      x: { field: 'v', type: 'quantitative', bin: { maxbins: 40 }, title: xTitle },
      y: { aggregate: 'count', type: 'quantitative', title: 'steps' },
    },
  });
}
