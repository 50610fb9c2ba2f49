/** Endpoint checks: loopback unless secured (DESIGN.md §6). */
import { InputError } from '../errors.js';

export function endpointHost(endpoint: string): string {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:]+):(\d+|\*)$/.exec(endpoint);
  if (!m) throw new InputError(`${endpoint}: expected tcp://HOST:PORT (PORT may be * for any free port)`);
  return m[1].replace(/^\[|\]$/g, '');
}

export function isLoopback(endpoint: string): boolean {
  const host = endpointHost(endpoint);
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * Refuse a bind that would expose the server off loopback without CurveZMQ, unless explicitly
 * `insecure` (DESIGN.md §6).
 */
export function checkBindSecurity(bind: string, opts: { curve: boolean; insecure: boolean }): void {
  if (!isLoopback(bind) && !opts.curve && !opts.insecure) {
    throw new InputError(`--bind ${bind}: expected a loopback address, CurveZMQ keys (--curve-keys PREFIX with --allow ROBOT.pub) or an explicit --insecure`);
  }
}
