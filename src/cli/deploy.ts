/** `sim2real deploy`: hand a new policy to a running server; it swaps it in between two control steps. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { InputError } from '../errors.js';
import { initBackend } from '../policy/models/backend.js';
import { loadPolicyDir, resolvePolicyDir } from '../policy/checkpoints/policy-dir.js';
import { checkEndpoint } from '../bridge/endpoint.js';
import { readKey, readKeyPair } from './keys-files.js';
import { join } from 'node:path';

export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('send a policy to a running `sim2real serve`; it is checked, then swapped in without dropping robots')
    .requiredOption('--policy <run>', 'run or checkpoint directory')
    .requiredOption('--server <url>', 'the server, e.g. tcp://127.0.0.1:5555')
    .option('--curve-keys <prefix>', 'our CurveZMQ key pair (must be on the server allow-list)')
    .option('--server-key <file>', "the server's public key file")
    .option('--json', 'print the result as JSON')
    .action(async (o: { policy: string; server: string; curveKeys?: string; serverKey?: string; json?: boolean }) => {
      checkEndpoint(o.server, '--server', { bind: false });
      const dir = resolvePolicyDir(o.policy);
      if (!existsSync(join(dir, 'policy.json')))
        throw new InputError(`${o.policy}: expected a run or checkpoint directory with policy.json`);
      if (!!o.curveKeys !== !!o.serverKey)
        throw new InputError('--curve-keys and --server-key: expected both or neither');
      const curve = o.curveKeys ? { ...readKeyPair(o.curveKeys), serverKey: readKey(o.serverKey!) } : undefined;
      // The server checks it too, but a corrupt checkpoint is the deployer's to see, by its own
      // path, without touching a live server.
      await initBackend();
      (await loadPolicyDir(dir)).policy.dispose();
      const { deployTo } = await import('../bridge/deploy.js');
      const r = await deployTo(o.server, dir, { curve });
      if (o.json) console.log(JSON.stringify(r));
      else console.log(`${o.server} now serves ${r.policyId} as version ${r.policyVersion}`);
    });
}
