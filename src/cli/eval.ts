/**
 * `sim2real eval --policy RUN --scenario FILE`: success rate (Wilson 95% CI), mean return and
 * length of a policy acting deterministically for N seeded episodes in nominal sim, randomized sim
 * or an emulated reality profile; optionally recording the episodes (MCAP).
 */
import type { Command } from 'commander';
import { loadScenario } from '../sim/scenario-file.js';
import { initBackend, parseBackend } from '../policy/models/backend.js';
import { loadPolicyDir, resolvePolicyDir } from '../policy/checkpoints/policy-dir.js';
import { DEFAULT_EVAL_SEED, type EvaluationReport } from '../policy/evaluate.js';
import { evaluateWithProgress } from '../pipelines/evaluate-progress.js';
import { terminalHooks } from '../ui/run-hooks.js';
import { formatPercent as pct } from '../ui/percent.js';
import { nonNegativeInt, positiveInt } from '../ui/number-options.js';

interface EvalFlags {
  policy: string;
  scenario: string;
  episodes: number;
  randomize?: boolean;
  reality?: string;
  seed: number;
  record?: string;
  workers: number;
  backend?: string;
  json?: boolean;
}

export type EvalCliReport = EvaluationReport & { policy: string };

function formatEvaluation(r: EvaluationReport): string {
  const where = r.reality ? `reality ${r.reality}` : r.randomized ? 'randomized sim' : 'nominal sim';
  const [lo, hi] = r.successCi95;
  const lines = [
    `${r.policyId} on ${r.scenario} (${where}, seeds ${r.seed}..${r.seed + r.episodes - 1}): ${r.episodes} episodes in ${r.seconds.toFixed(1)} s`,
    `success ${pct(r.successRate)} (95% CI ${pct(lo)}–${pct(hi)}), mean return ${r.meanReturn.toFixed(3)}, mean length ${r.meanLength.toFixed(1)}${r.timeouts ? `, ${r.timeouts} time-outs` : ''}`,
  ];
  if (r.failedSeeds.length)
    lines.push(`failed seeds: ${r.failedSeeds.slice(0, 20).join(' ')}${r.failedSeeds.length > 20 ? ' ...' : ''}`);
  if (r.files.length) lines.push(`recorded: ${r.files.join(', ')}`);
  return lines.join('\n');
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'evaluate a policy (deterministic actions) for N seeded episodes: success rate with Wilson 95% CI, mean return and length',
    )
    .requiredOption('--policy <dir>', 'run directory (uses RUN/policy) or policy checkpoint directory')
    .requiredOption('--scenario <file>', 'scenario file (YAML); its contract must match the policy')
    .option('--episodes <n>', 'episodes', positiveInt, 50)
    .option('--randomize', "apply the scenario's domain randomization")
    .option('--reality <file>', 'evaluate in an emulated reality profile (scenarios/reality/*.yaml)')
    .option('--seed <s>', 'episode i uses seed s + i', nonNegativeInt, DEFAULT_EVAL_SEED)
    .option('--record <dir>', 'write the evaluated episodes (MCAP) into this directory')
    .option('--workers <w>', 'worker threads', positiveInt, 2)
    .option('--backend <name>', 'tensorflow | wasm | cpu (default: the best available)')
    .option('--json', 'print the report as JSON')
    .action(async (o: EvalFlags) => {
      const sc = loadScenario(o.scenario);
      await initBackend(o.backend ? parseBackend(o.backend) : undefined);
      const dir = resolvePolicyDir(o.policy);
      const { policy } = await loadPolicyDir(o.policy, {
        contract: sc.contract,
        what: `${o.scenario} (scenario ${sc.name})`,
      });
      const r = await evaluateWithProgress(
        policy,
        sc,
        {
          episodes: o.episodes,
          randomize: o.randomize === true,
          reality: o.reality,
          seed: o.seed,
          record: o.record,
          workers: o.workers,
        },
        terminalHooks(o.json === true),
        `eval ${sc.name}`,
      );
      policy.dispose();
      const report: EvalCliReport = { policy: dir, ...r };
      console.log(o.json ? JSON.stringify(report, null, 2) : formatEvaluation(r));
    });
}
