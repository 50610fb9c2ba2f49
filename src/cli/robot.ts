/** `sim2real robot emulate`: an emulated real robot (scenario + hidden reality gap) driven over the bridge. */
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { loadRapier } from '../sim/rapier.js';
import { loadScenario } from '../sim/scenario-file.js';
import { loadReality } from '../sim/reality.js';
import { DEFAULT_REAL_SEED, recordRealDemos } from '../collect/real-demos.js';
import { initBackend } from '../policy/models/backend.js';
import { loadPolicyDir } from '../policy/checkpoints/policy-dir.js';
import type { GaussianMlpPolicy } from '../policy/models/gaussian-policy.js';
import { checkEndpoint } from '../bridge/endpoint.js';
import { readKey, readKeyPair } from './keys-files.js';
import { startProgress } from '../ui/progress.js';
import { nonNegativeInt, nonNegativeNumber, positiveInt, positiveNumber } from '../ui/number-options.js';

interface EmulateFlags {
  scenario: string;
  reality: string;
  connect: string;
  episodes: number;
  realtime?: boolean;
  seed: number;
  deadlineMs?: number;
  robotId?: string;
  curveKeys?: string;
  serverKey?: string;
  json?: boolean;
}

interface DemosFlags {
  scenario: string;
  reality: string;
  episodes: number;
  out: string;
  seed: number;
  mode: string;
  policy?: string;
  expertNoise?: number;
  json?: boolean;
}

export function registerRobot(program: Command): void {
  const robot = program.command('robot').description('robot-side tools');
  robot
    .command('emulate')
    .description(
      'run an emulated "real" robot (scenario world + reality gap) against a policy server, as hardware would',
    )
    .requiredOption('--scenario <file>', 'scenario file')
    .requiredOption('--reality <file>', 'reality profile (scenarios/reality/*.yaml)')
    .option('--connect <url>', 'policy server', 'tcp://127.0.0.1:5555')
    .option('--episodes <n>', 'episodes', positiveInt, 20)
    .option('--realtime', 'keep the control rate on the wall clock (default: lock-step, as fast as the server answers)')
    .option('--seed <s>', 'episode i uses seed s + i', nonNegativeInt, 0)
    .option('--deadline-ms <ms>', 'deadline per step (default: one control period)', positiveNumber)
    .option('--robot-id <id>', 'robot name sent in the handshake')
    .option('--curve-keys <prefix>', "this robot's CurveZMQ key pair")
    .option('--server-key <file>', "the server's public key file")
    .option('--json', 'print the report as JSON')
    .action(async (o: EmulateFlags) => {
      checkEndpoint(o.connect, '--connect', { bind: false });
      const sc = loadScenario(o.scenario);
      const reality = loadReality(o.reality);
      if (!!o.curveKeys !== !!o.serverKey)
        throw new InputError('--curve-keys and --server-key: expected both or neither');
      const R = await loadRapier();
      const bar = startProgress(`robot ${sc.name} (${reality.name})`, o.episodes, { unit: 'ep', quiet: o.json });
      let ok = 0;
      let n = 0;
      const { emulateRobot } = await import('../bridge/emulated-robot.js');
      const rep = await emulateRobot(R, sc, reality, {
        realityFile: o.reality,
        server: o.connect,
        episodes: o.episodes,
        seed: o.seed,
        realtime: o.realtime === true,
        deadlineMs: o.deadlineMs,
        robotId: o.robotId,
        curve: o.curveKeys ? { ...readKeyPair(o.curveKeys), serverKey: readKey(o.serverKey!) } : undefined,
        onEpisode: (e) => {
          n++;
          ok += e.success ? 1 : 0;
          bar.tick(1, `success ${((100 * ok) / n).toFixed(0)}%${e.missed ? ` missed ${e.missed}` : ''}`);
        },
        log: o.json ? undefined : (l) => process.stderr.write(`${l}\n`),
      });
      bar.stop();
      if (o.json) {
        console.log(JSON.stringify(rep, null, 2));
        return;
      }
      const [lo, hi] = rep.successCi95;
      console.log(
        `${rep.episodes} episodes on the emulated ${sc.name} robot (${reality.name}): success ${(100 * rep.successRate).toFixed(1)}% (95% CI ${(100 * lo).toFixed(1)}–${(100 * hi).toFixed(1)}%), mean return ${rep.meanReturn.toFixed(2)}, mean length ${rep.meanLength.toFixed(1)}`,
      );
      console.log(
        `${rep.steps} steps, ${rep.missedSteps} missed deadlines, round trip p50 ${rep.latencyMs.p50.toFixed(3)} ms p99 ${rep.latencyMs.p99.toFixed(3)} ms${rep.overrunFraction !== null && rep.startLagMs ? `, control-period overruns ${(100 * rep.overrunFraction).toFixed(1)}% (steps begun > 5% of a period late; lag p99 ${rep.startLagMs.p99.toFixed(3)} ms)` : ''}`,
      );
    });

  robot
    .command('demos')
    .description(
      "record teleoperated demonstrations on the emulated robot (the scripted expert, acting on the robot's true state, stands in for the operator): MCAP, source real, the operator's action on every step",
    )
    .requiredOption('--scenario <file>', 'scenario file')
    .requiredOption('--reality <file>', 'reality profile (scenarios/reality/*.yaml)')
    .requiredOption('--out <dir>', 'directory for the episode file')
    .option('--episodes <n>', 'demonstrations', positiveInt, 20)
    .option('--seed <s>', 'episode i uses seed s + i', nonNegativeInt, DEFAULT_REAL_SEED)
    .option(
      '--mode <m>',
      "expert: the operator drives; dagger: --policy drives and the operator's action is logged as the label",
      'expert',
    )
    .option('--policy <run>', '(dagger) the policy that drives')
    .option('--expert-noise <x>', '(expert) gaussian noise on the executed action, normalised units', nonNegativeNumber)
    .option('--json', 'print the report as JSON')
    .action(async (o: DemosFlags) => {
      if (o.mode !== 'expert' && o.mode !== 'dagger')
        throw new InputError(`--mode: expected expert | dagger, got "${o.mode}"`);
      if ((o.mode === 'dagger') !== (o.policy !== undefined))
        throw new InputError('--policy: expected it with --mode dagger, and only then');
      const sc = loadScenario(o.scenario);
      const reality = loadReality(o.reality);
      let policy: GaussianMlpPolicy | undefined;
      if (o.policy) {
        await initBackend();
        policy = (await loadPolicyDir(o.policy, { contract: sc.contract, what: `--scenario ${o.scenario}` })).policy;
      }
      const bar = startProgress(`robot demos ${sc.name} (${reality.name})`, o.episodes, { unit: 'ep', quiet: o.json });
      let ok = 0;
      let n = 0;
      const rep = await recordRealDemos({
        scenario: sc,
        reality,
        realityFile: o.reality,
        episodes: o.episodes,
        out: o.out,
        seed: o.seed,
        mode: o.mode,
        policy,
        expertNoise: o.expertNoise,
        onEpisode: (e) => bar.tick(1, `success ${(ok += e.success ? 1 : 0)}/${++n}`),
      });
      bar.stop();
      policy?.dispose();
      if (o.json) {
        console.log(JSON.stringify(rep, null, 2));
        return;
      }
      const [lo, hi] = rep.successCi95;
      console.log(
        `${rep.episodes} demonstrations on the emulated ${sc.name} robot (${reality.name}, ${rep.driver} driving): success ${(100 * rep.successRate).toFixed(1)}% (95% CI ${(100 * lo).toFixed(1)}–${(100 * hi).toFixed(1)}%), ${rep.steps} steps → ${rep.file}`,
      );
    });
}
