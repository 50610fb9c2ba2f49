/**
 * The layers of src/ (docs/design.md, "Layers"), lowest first. A module may import from its own
 * layer and the ones below, never from one above:
 *   base     src/*.ts (errors, seeds, package root, ...), src/ui/ (terminal helpers), src/runs/ (run directories)
 *   sim      src/sim/ (physics, tasks, env API, wrappers, vector envs)
 *   episodes src/episodes/ (MCAP episode files)
 *   rollout  src/rollout/ (an actor driving an env for one episode)
 *   policy   src/policy/ (models, checkpoints, BC, PPO, fine-tuning, evaluation)
 *   apps     src/collect/, src/bridge/, src/replay/, src/sysid/ (collection, the robot link, replay, system
 *            identification; peers that do not import each other)
 *   runs     src/pipelines/ (whole jobs: train, fine-tune, demo, transfer benchmark)
 *   entry    src/cli/, src/index.ts, bench/
 * `npm run lint` fails on any import against these arrows and on import cycles between files.
 */
const ABOVE = {
  base: ['sim', 'episodes', 'rollout', 'policy', 'collect', 'bridge', 'replay', 'sysid', 'pipelines', 'cli'],
  sim: ['episodes', 'rollout', 'policy', 'collect', 'bridge', 'replay', 'sysid', 'pipelines', 'cli', 'runs'],
  episodes: ['rollout', 'policy', 'collect', 'bridge', 'replay', 'sysid', 'pipelines', 'cli'],
  rollout: ['policy', 'collect', 'bridge', 'replay', 'sysid', 'pipelines', 'cli'],
  policy: ['collect', 'bridge', 'replay', 'sysid', 'pipelines', 'cli'],
  collect: ['bridge', 'replay', 'sysid', 'pipelines', 'cli'],
  bridge: ['collect', 'replay', 'sysid', 'pipelines', 'cli'],
  replay: ['collect', 'bridge', 'sysid', 'pipelines', 'cli'],
  sysid: ['collect', 'bridge', 'replay', 'pipelines', 'cli'],
  pipelines: ['cli'],
};
const FROM = {
  base: '^src/([^/]+\\.ts$|ui/|runs/)',
  sim: '^src/sim/',
  episodes: '^src/episodes/',
  rollout: '^src/rollout/',
  policy: '^src/policy/',
  collect: '^src/collect/',
  bridge: '^src/bridge/',
  replay: '^src/replay/',
  sysid: '^src/sysid/',
  pipelines: '^src/pipelines/',
};
const layerRules = Object.entries(ABOVE).map(([layer, above]) => ({
  name: `layer-${layer}`,
  comment: `${layer} must not import from a layer above it (${above.join(', ')})`,
  severity: 'error',
  from: { path: FROM[layer], pathNot: '^src/index\\.ts$' },
  to: { path: `^src/(${above.join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-entry-imports',
      comment: 'the library does not import the public entry point (src/index.ts) or the benchmarks/tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(src/index\\.ts$|bench/|test/)' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles between files',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^dist/' },
  },
};
