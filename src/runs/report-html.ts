/**
 * A self-contained HTML report (tables and inline SVG figures, no scripts or external assets), so
 * it opens from a run directory on any machine, offline.
 */

export interface ReportTable {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  /** Shown under the table. */
  note?: string;
}

export interface ReportFigure {
  title: string;
  /** An SVG document (e.g. from src/runs/plot.ts). */
  svg: string;
}

export interface ReportDoc {
  title: string;
  /** Lines under the title (what ran, where, when). */
  summary: string[];
  tables: ReportTable[];
  figures: ReportFigure[];
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

function table(t: ReportTable): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((v) => `<td>${escapeHtml(String(v))}</td>`).join('')}</tr>`).join('\n');
  const note = t.note ? `<p class="note">${escapeHtml(t.note)}</p>` : '';
  return `<section><h2>${escapeHtml(t.title)}</h2><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${note}</section>`;
}

export function reportHtml(doc: ReportDoc): string {
  const figures = doc.figures
    .map((f) => `<figure><figcaption>${escapeHtml(f.title)}</figcaption>${f.svg}</figure>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 980px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: left; }
th { background: #f3f3f3; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
figure { margin: 1.5em 0; }
figcaption { font-weight: 600; margin-bottom: 0.3em; }
.note { color: #555; font-size: 13px; }
</style></head><body>
<h1>${escapeHtml(doc.title)}</h1>
${doc.summary.map((l) => `<p>${escapeHtml(l)}</p>`).join('\n')}
${doc.tables.map(table).join('\n')}
${figures}
</body></html>
`;
}
