/**
 * `npm run bench -- transfer`: prints the transfer benchmark (src/pipelines/transfer/transfer.ts
 * runs it) as one table per scenario, with its goals.
 */
import { printTable } from './table.js';
import type { TransferScenarioReport } from '../src/pipelines/transfer/transfer.js';
import { formatPercent as pct } from '../src/ui/percent.js';

export function printTransfer(reports: TransferScenarioReport[], json: boolean): void {
  if (json) console.log(JSON.stringify(reports, null, 2));
  else for (const r of reports) printReport(r);
}

function printReport(r: TransferScenarioReport): void {
  console.log(
    `\n${r.scenario} on ${r.reality} (${r.realityFile}), ${r.evalEpisodes} evaluation episodes per row and draw, ${r.draws} draws of real episodes (${r.realMode} drives), ${r.seconds.toFixed(0)} s`,
  );
  if (r.loopDelay)
    console.log(
      `delay compensation: (a) none, (b) and (e) ${r.loopDelay.prior} steps (training mean), (c) and (d) the robot's estimated from their real episodes: ${r.loopDelay.estimated.join(' ')}`,
    );
  printTable(
    ['variant', 'N real', 'where', 'episodes', 'success', '95% CI', 'per draw', 'seconds'],
    r.rows.map((x) => [
      x.variant === 'recording' ? x.what : `(${x.variant}) ${x.what}`,
      x.realEpisodes === null ? '–' : String(x.realEpisodes),
      x.where,
      String(x.episodes),
      pct(x.successRate),
      x.successCi95 ? `${pct(x.successCi95[0])}–${pct(x.successCi95[1])}` : '–',
      x.perDraw ? x.perDraw.map((d) => (100 * d).toFixed(0)).join(' ') : '–',
      x.seconds,
    ]),
  );
  for (const g of r.goals) {
    const v =
      g.value === null ? '–' : g.goal.startsWith('(c) at') ? pct(g.value) : `${(100 * g.value).toFixed(1)} points`;
    console.log(`goal: ${g.goal} ${g.target}: ${v} — ${g.met === null ? 'not measured' : g.met ? 'met' : 'NOT met'}`);
  }
}
