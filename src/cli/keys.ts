/** `sim2real keys generate`: a CurveZMQ key pair for a server or a robot. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../errors.js';

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('CurveZMQ keys for non-loopback deployments');
  keys
    .command('generate')
    .description('write NAME.key (secret: keep it on that machine) and NAME.pub (public: give it to the other side)')
    .option('--out <dir>', 'directory', 'keys')
    .option('--name <name>', 'key name, e.g. server or robot-1', 'server')
    .action(async (o: { out: string; name: string }) => {
      if (!/^[\w.-]+$/.test(o.name))
        throw new InputError(`--name: expected letters, digits, '.', '_' or '-', got "${o.name}"`);
      const secret = join(o.out, `${o.name}.key`);
      const pub = join(o.out, `${o.name}.pub`);
      for (const f of [secret, pub])
        if (existsSync(f))
          throw new InputError(`${f}: expected a new file, got an existing one (keys are never overwritten)`);
      const zmq = await import('zeromq');
      const pair = zmq.curveKeyPair();
      mkdirSync(o.out, { recursive: true });
      writeFileSync(secret, `# CurveZMQ secret key (Z85) of ${o.name}: keep private\n${pair.secretKey}\n`, {
        mode: 0o600,
      });
      writeFileSync(pub, `# CurveZMQ public key (Z85) of ${o.name}\n${pair.publicKey}\n`);
      console.log(`wrote ${secret} and ${pub}`);
    });
}
