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
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
