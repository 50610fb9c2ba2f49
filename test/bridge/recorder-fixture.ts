/** The contract and observations of the recorder tests (and of the kill -9 child process). */
import type { Contract } from '../../src/sim/contract.js';

export const contract: Contract = {
  obs: [
    { name: 'pos', size: 2, unit: 'm', low: [-1, -2], high: [1, 2] },
    { name: 'vel', size: 1, unit: 'm/s', low: -5, high: 5 },
  ],
  action: [{ name: 'force', size: 2, unit: '1', low: -1, high: 1 }],
};

export const obsAt = (episode: number, step: number) =>
  Float32Array.from([((episode + step) % 7) / 10, -step / 100, episode / 3]);
export const actionFor = (obs: Float32Array) => Float32Array.from([obs[0] / 2, -obs[1]]);
