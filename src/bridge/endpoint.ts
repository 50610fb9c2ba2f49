/** Endpoint checks: loopback unless secured (docs/design.md, "Bridge"). */
import { InputError } from '../errors.js';

/**
 * Check a ZeroMQ TCP endpoint before libzmq sees it: libzmq says only "Invalid argument" for a
 * malformed one and wraps ports above 65535 around. `what` names the flag or field in the error;
 * `bind` allows PORT * (any free port).
 */
export function checkEndpoint(
  endpoint: string,
  what: string,
  opts: { bind: boolean },
): { host: string; port: number | '*' } {
  const expected = `expected tcp://HOST:PORT with PORT in 1-65535${opts.bind ? ' (or * for any free port)' : ''}`;
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/\s]+):(\d+|\*)$/.exec(endpoint);
  if (!m || (m[2] === '*' && !opts.bind)) throw new InputError(`${what} ${endpoint}: ${expected}`);
  const port = m[2] === '*' ? '*' : Number(m[2]);
  if (port !== '*' && (port < 1 || port > 65535))
    throw new InputError(`${what} ${endpoint}: ${expected}, got port ${port}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** An IPv6 literal host (`tcp://[::1]:5555`): libzmq sockets need their ipv6 option for it. */
export function isIpv6(endpoint: string): boolean {
  return /^tcp:\/\/\[/.test(endpoint);
}

function endpointHost(endpoint: string): string {
  return checkEndpoint(endpoint, '--bind', { bind: true }).host;
}

export function isLoopback(endpoint: string): boolean {
  const host = endpointHost(endpoint);
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * Refuse a bind that would expose the server off loopback without CurveZMQ, unless explicitly
 * `insecure` (docs/design.md, "Bridge").
 */
export function checkBindSecurity(bind: string, opts: { curve: boolean; insecure: boolean }): void {
  if (!isLoopback(bind) && !opts.curve && !opts.insecure) {
    throw new InputError(
      `--bind ${bind}: expected a loopback address, CurveZMQ keys (--curve-keys PREFIX with --allow ROBOT.pub) or an explicit --insecure`,
    );
  }
}
