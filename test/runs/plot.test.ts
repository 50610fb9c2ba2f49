/**
 * The report's plots: bar labels whole and unique, histograms binned on the data's own range,
 * rules marked on line plots. Specs are read directly; SVGs are rendered by vega as the report does.
 */
import { describe, expect, it } from 'vitest';
import {
  histogramBins,
  histogramSpec,
  linePlotSpec,
  renderHistogram,
  renderLinePlot,
  renderRateBars,
  wrapLabel,
  LABEL_LINE_CHARS,
  type RateBar,
} from '../../src/runs/plot.js';

/** The text of every <text> element of an SVG, its <tspan> lines joined with a space. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>(.*?)<\/text>/g)].map((m) =>
    m[1]
      .replace(/<tspan[^>]*>/g, '\u0000')
      .replace(/<\/tspan>/g, '')
      .split('\u0000')
      .filter(Boolean)
      .join(' ')
      .replace(/&amp;/g, '&')
      .replace(/&#39;/g, "'"),
  );
}

const bar = (label: string, rate: number, group?: string): RateBar => ({
  label,
  group,
  rate,
  ci95: [Math.max(0, rate - 0.1), Math.min(1, rate + 0.1)],
});

describe('wrapLabel', () => {
  it('cuts at spaces into short lines that give the label back', () => {
    const label = '(c) after fine-tuning: pretrained kept (fine-tuned did not beat it on validation)';
    const lines = wrapLabel(label);
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(LABEL_LINE_CHARS);
    expect(lines.join(' ')).toBe(label);
  });

  it('keeps a line break given in the label and a word longer than a line', () => {
    expect(wrapLabel('short policy\nemulated robot')).toEqual(['short policy', 'emulated robot']);
    const word = 'x'.repeat(LABEL_LINE_CHARS + 5);
    expect(wrapLabel(`a ${word} b`)).toEqual(['a', word, 'b']);
  });
});

describe('rate bars', () => {
  // Labels that share their first 40 characters: vega-lite's default 180 px limit cut them to one text.
  const labels = [
    'pretrained (BC on randomized-sim demos), evaluated in nominal sim',
    'pretrained (BC on randomized-sim demos), evaluated in randomized sim',
    'fine-tuned on 20 robot demos (16 train / 4 val)\nemulated robot',
  ];

  it('draws every label whole: no ellipsis, each label read back from its lines', async () => {
    const svg = await renderRateBars(
      'success',
      labels.map((l, i) => bar(l, 0.3 * i, i ? 'robot' : 'sim')),
    );
    const texts = svgTexts(svg);
    expect(texts.join(' ')).not.toContain('…');
    for (const l of labels) expect(texts).toContain(l.replace(/\s+/g, ' '));
    // One axis label per bar, none the same.
    const axisLabels = texts.filter((t) => labels.some((l) => l.replace(/\s+/g, ' ') === t));
    expect(new Set(axisLabels).size).toBe(labels.length);
  });

  it('refuses two bars with one label (they would be drawn as one)', async () => {
    await expect(renderRateBars('success', [bar('same', 0.5), bar('same', 0.7)])).rejects.toThrow(
      /two bars are labelled "same"/,
    );
  });
});

describe('histograms', () => {
  const latencies = Array.from({ length: 1000 }, (_, i) => 10 + (i % 100) / 50); // 10.00 .. 11.98 ms

  it('bins on the data range, not from zero', () => {
    const b = histogramBins(latencies);
    expect(b.lo).toBeGreaterThan(9);
    expect(b.lo).toBeLessThanOrEqual(10);
    expect(b.lo + b.step * b.counts.length).toBeGreaterThan(11.98);
    expect(b.counts.length).toBeLessThanOrEqual(41);
    expect(b.counts.reduce((s, c) => s + c, 0) + b.over).toBe(latencies.length);
    expect(b.over).toBe(0);
    const spec = histogramSpec('t', 'latency, ms', latencies) as unknown as {
      layer: { encoding: { x: { scale?: { domain: number[]; zero: boolean } } } }[];
    };
    const scale = spec.layer[0].encoding.x.scale!;
    expect(scale.zero).toBe(false);
    expect(scale.domain[0]).toBe(b.lo);
  });

  it('puts a far tail into one bar past the 99th percentile instead of squashing the rest', async () => {
    const withTail = [...latencies.map((v) => v / 100), 4, 3.5, 2.2]; // 0.1 ms steps, three outliers of seconds' scale
    const b = histogramBins(withTail);
    expect(b.over).toBe(3);
    expect(b.max).toBe(4);
    // The bins span the bulk: about 0.02 ms wide, not 0.1 ms as 40 bins over 0–4 ms would be.
    expect(b.step).toBeLessThanOrEqual(0.001);
    const svg = await renderHistogram(`${withTail.length} steps`, 'latency, ms', withTail);
    expect(svgTexts(svg).join(' ')).toMatch(/red bar: the 3 above 0\.1\d* \(max 4\.0+\)/);
  });

  it('bins a constant and an empty sample without failing', () => {
    expect(histogramBins([0.5, 0.5, 0.5]).counts.reduce((s, c) => s + c, 0)).toBe(3);
    expect(histogramBins([]).counts).toEqual([]);
  });
});

describe('line plots', () => {
  it('marks rules with their labels', async () => {
    const p = {
      title: 'bc',
      xTitle: 'epoch',
      yTitle: 'loss',
      series: [
        {
          name: 'trainLoss',
          points: [
            [1, 0.1],
            [2, 0.05],
            [3, 0.08],
            [4, 0.04],
          ] as [number, number][],
        },
      ],
      marks: [
        { x: 2.5, label: 'DAgger round 1' },
        { x: 3.5, label: 'DAgger round 2' },
      ],
    };
    const spec = linePlotSpec(p) as unknown as { layer: { mark: { type: string } }[] };
    expect(spec.layer.map((l) => l.mark.type)).toEqual(['line', 'rule', 'text']);
    const texts = svgTexts(await renderLinePlot(p));
    expect(texts).toContain('DAgger round 1');
    expect(texts).toContain('DAgger round 2');
  });

  it('draws no rule layers without marks', () => {
    const spec = linePlotSpec({ title: 't', xTitle: 'x', yTitle: 'y', series: [] }) as unknown as { layer: unknown[] };
    expect(spec.layer).toHaveLength(1);
  });
});
