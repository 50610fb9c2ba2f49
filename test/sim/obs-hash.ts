/** Child-process half of the cross-process determinism check: prints the rollout hash. */
import { loadRapier } from '../../src/sim/rapier.js';
import { loadScenario } from '../../src/sim/scenario-file.js';
import { makeEnv } from '../../src/sim/make-env.js';
import { rolloutHash } from '../../src/sim/check-env.js';

const [file, seed, steps, randomize] = process.argv.slice(2);
const R = await loadRapier();
const env = makeEnv(R, loadScenario(file), { randomize: randomize === '1' });
process.stdout.write(`${rolloutHash(env, Number(seed), Number(steps))}\n`);
env.close();
