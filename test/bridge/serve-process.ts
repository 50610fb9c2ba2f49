/** `sim2real serve` as a child process, for CLI tests: started, waited for, stopped with SIGINT. */
import type { ChildProcess } from 'node:child_process';
import { spawnSim2real } from '../cli/helpers.js';

export class ServeProcess {
  stderr = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly endpoint: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Spawn `sim2real serve ARGS` and wait until it says it is serving (rejects if it exits first). */
  static async start(args: string[], timeoutMs = 300_000): Promise<ServeProcess> {
    const child = spawnSim2real(['serve', ...args]);
    let stderr = '';
    const endpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`serve did not start within ${timeoutMs} ms: ${stderr}`)),
        timeoutMs,
      );
      child.stderr!.on('data', (d) => {
        stderr += String(d);
        const m = / serving .* on (tcp:\/\/\S+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited with ${code} before serving: ${stderr}`));
      });
    });
    const s = new ServeProcess(child, endpoint);
    s.stderr = stderr;
    child.stderr!.on('data', (d) => (s.stderr += String(d)));
    return s;
  }

  /** Wait until the server's log matches `re`. */
  async logged(re: RegExp, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.stderr)) {
      if (Date.now() > deadline) throw new Error(`serve never logged ${re}: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Ctrl-C: the server closes its sessions and recordings, then exits; resolves with its exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGINT');
    return this.exited;
  }
}
