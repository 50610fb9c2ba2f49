/**
 * The demo's link to its emulated robot: one policy server on loopback recording every served
 * episode, and the robot (a reality profile's world behind RobotClient) driven through it. The
 * server starts with the first policy asked for; asking for another deploys it to the running
 * server (a hot swap), as `sim2real deploy` would.
 */
import type { Rapier } from '../../sim/rapier.js';
import type { Scenario } from '../../sim/scenario-schema.js';
import type { Reality } from '../../sim/reality.js';
import { PolicyServer } from '../../bridge/server.js';
import { checkpointLoader } from '../../bridge/served-policy.js';
import { emulateRobot, type EmulateReport } from '../../bridge/emulated-robot.js';
import { deployTo } from '../../bridge/deploy.js';
import { loadPolicyDir } from '../../policy/checkpoints/policy-dir.js';
import type { GaussianMlpPolicy } from '../../policy/models/gaussian-policy.js';
import type { Progress } from '../../ui/progress.js';

/** How long the server waits for the robot's last episode_end and bye, ms. */
const LEAVE_TIMEOUT_MS = 5000;

export interface RobotLinkOptions {
  R: Rapier;
  sc: Scenario;
  reality: Reality;
  /** Served episodes are recorded here (MCAP, source real). */
  recordDir: string;
  log: (line: string) => void;
}

export class RobotLink {
  private server: PolicyServer | null = null;
  /** The policy the server started with: the caller's to free (the server frees what it loaded). */
  private first: GaussianMlpPolicy | null = null;
  private serving: string | null = null;

  constructor(private readonly o: RobotLinkOptions) {}

  /** Have the server serve the checkpoint in `policyDir` (starting it, or deploying to it). */
  async serve(policyDir: string): Promise<void> {
    if (this.serving === policyDir) return;
    const { o } = this;
    if (!this.server) {
      const { policy } = await loadPolicyDir(policyDir);
      this.first = policy;
      this.server = await PolicyServer.start({
        bind: 'tcp://127.0.0.1:*',
        policy,
        recordDir: o.recordDir,
        scenario: { name: o.sc.name, controlHz: o.sc.control.rate_hz, safeAction: o.sc.safe_action },
        loadPolicy: checkpointLoader(policy.contract),
        // The demo deploys to its own loopback server.
        allowDeploy: true,
        log: (line) => o.log(`   server: ${line}`),
      });
    } else {
      const d = await deployTo(this.server.endpoint, policyDir);
      o.log(`   deployed ${d.policyId} as policy version ${d.policyVersion}`);
    }
    this.serving = policyDir;
  }

  /** `episodes` robot episodes from `seed` with the policy being served. */
  async run(episodes: number, seed: number, bar: Progress): Promise<EmulateReport> {
    const server = this.server;
    if (!server) throw new Error('RobotLink.run: no policy is being served (call serve first)');
    let ok = 0;
    const r = await emulateRobot(this.o.R, this.o.sc, this.o.reality, {
      server: server.endpoint,
      episodes,
      seed,
      robotId: `emulated-${this.o.sc.name}`,
      onEpisode: (e) => {
        ok += e.success ? 1 : 0;
        bar.tick(1, `success ${ok}`);
      },
    });
    // The robot's last episode_end and bye are still in flight: let the server record them.
    const t0 = performance.now();
    while (server.stats().robots > 0 && performance.now() - t0 < LEAVE_TIMEOUT_MS)
      await new Promise((res) => setTimeout(res, 10));
    return r;
  }

  async close(): Promise<void> {
    try {
      await this.server?.close();
    } finally {
      this.first?.dispose();
      this.server = null;
      this.first = null;
      this.serving = null;
    }
  }
}
