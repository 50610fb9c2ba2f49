/**
 * sim2real's public API: what `import ... from 'sim2real'` gives. Everything else under dist/ is
 * internal and may move; what is exported here keeps its name and shape.
 */

// Simulation: Rapier, scenarios, the Gymnasium-shaped env and its vectorised form.
export { loadRapier, type Rapier, type RapierFlavor } from './sim/rapier.js';
export { loadScenario, builtinScenarioPath } from './sim/scenario-file.js';
export type { Scenario, GraspScenario, NavigateScenario, Randomization } from './sim/scenario-schema.js';
export { loadReality, makeRealEnv, type Reality } from './sim/reality.js';
export { makeEnv, type MakeEnvOptions } from './sim/make-env.js';
// Physics engines: Rapier (training) and MuJoCo (another engine for emulated robots, or mixed into training).
export type { PhysicsEngine, EngineName } from './sim/engine.js';
export { MujocoEngine } from './sim/mujoco/engine.js';
export { loadMujoco, type Mujoco } from './sim/mujoco/mujoco.js';
export type { MujocoSettings } from './sim/mujoco/settings.js';
export { simEngine } from './sim/training-engine.js';
export type { Env, ResetOptions, ResetResult, StepResult, StepInfo, ResetInfo, Json } from './sim/env.js';
export { VectorEnv, type VectorEnvOptions, type VectorStep } from './sim/vector-env.js';
export { totalSize, contractMismatch, type Contract, type Component } from './sim/contract.js';

// Policies: the tfjs backend, models, checkpoints, training, fine-tuning, evaluation.
export { initBackend, type BackendName, type BackendChoice } from './policy/models/backend.js';
export type { Policy, ActOptions } from './policy/models/policy.js';
export { GaussianMlpPolicy, type PolicyArchitecture } from './policy/models/gaussian-policy.js';
export { loadPolicyDir, resolvePolicyDir } from './policy/checkpoints/policy-dir.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  type LoadedCheckpoint,
  type PolicyFile,
} from './policy/checkpoints/checkpoint.js';
export { collect, type CollectOptions, type CollectResult } from './collect/collect.js';
export { trainBC, type BcOptions, type BcMetrics } from './policy/bc/bc.js';
export { finetune, type FinetuneOptions, type FinetuneResult } from './policy/finetune/finetune.js';
export { evaluate, type EvaluateOptions, type EvaluationReport } from './policy/evaluate.js';

// Runs: whole jobs in a run directory (config.json, metrics, checkpoints, report), resumable, as the CLI runs them.
export { type RunHooks, terminalHooks } from './ui/run-hooks.js';
export {
  trainBc,
  bcRunDefaults,
  type TrainBcConfig,
  type TrainBcOptions,
  type TrainBcReport,
  type BcRunConfig,
} from './pipelines/train-bc.js';
export {
  runDemo,
  type DemoConfig,
  type DemoRunOptions,
  type DemoReport,
  type DemoResult,
} from './pipelines/demo/demo.js';
export { trainPpo, type TrainPpoConfig, type TrainPpoOptions, type TrainPpoReport } from './pipelines/train-ppo.js';
export { finetuneRun, finetuneSettings, FINETUNE_RUN_DEFAULTS } from './pipelines/finetune.js';
export type { FinetuneRunConfig, FinetuneReport, MeasurementSummary } from './pipelines/finetune.js';
export {
  runTransfer,
  type TransferConfig,
  type TransferRunOptions,
  type TransferScenarioReport,
} from './pipelines/transfer/transfer.js';
export type { TransferRow, GoalCheck } from './pipelines/transfer/rows.js';

// The bridge: serving robots, the robot side, deployment, the emulated robot.
export { PolicyServer, type PolicyServerOptions, type ServerStats } from './bridge/server.js';
export { RobotClient, RobotClientError, type RobotClientOptions, type ActResult } from './bridge/robot-client.js';
export { deployTo } from './bridge/deploy.js';
export { probeStats } from './bridge/stats-probe.js';
export { checkpointLoader } from './bridge/served-policy.js';
export { emulateRobot, type EmulateOptions, type EmulateReport } from './bridge/emulated-robot.js';

// Episodes: MCAP files.
export * from './episodes/index.js';

export { InputError } from './errors.js';
