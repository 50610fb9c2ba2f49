/** Shared pieces for bridge tests: a real (randomly initialised) tfjs policy and free ports. */
import { createServer } from 'node:net';
import { initBackend } from '../../src/policy/backend.js';
import { GaussianMlpPolicy } from '../../src/policy/gaussian-policy.js';
import { loadScenario } from '../../src/sim/scenario-file.js';

export const navScenario = loadScenario('scenarios/navigate-obstacles.yaml');

export async function tinyPolicy(id = 'tiny', seedShift = 0): Promise<GaussianMlpPolicy> {
  await initBackend();
  const p = new GaussianMlpPolicy(id, navScenario.contract, { hidden: [16], activation: 'tanh', critic: false, initLogStd: -1 });
  // Shift the output bias so two policies give visibly different actions.
  if (seedShift) {
    const out = p.actor.layers[p.actor.layers.length - 1];
    const [k, b] = out.getWeights();
    out.setWeights([k, b.add(seedShift)]);
    p.syncFastPath();
  }
  return p;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
