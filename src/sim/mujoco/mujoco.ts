/**
 * Loading MuJoCo (`mujoco-js`, DeepMind's official WebAssembly build) and compiling MJCF text.
 * The module is loaded once per thread, on first use: commands that never meet a MuJoCo reality
 * never pay for its 11 MB of JavaScript and wasm.
 */
import type { MainModule, MjData, MjModel } from 'mujoco-js';

export type Mujoco = MainModule;
export type { MjData, MjModel };

let loaded: Promise<Mujoco> | null = null;

export function loadMujoco(): Promise<Mujoco> {
  loaded ??= (async () => {
    const mod = (await import('mujoco-js')) as unknown as { default: () => Promise<Mujoco> };
    return mod.default();
  })();
  return loaded;
}

/** MuJoCo refused a model; `kind` is MuJoCo's exception type (mjXError: XML, mjCError: compiler). */
export class MjcfError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
    this.name = 'MjcfError';
  }
}

let fileCounter = 0;

/**
 * Compile MJCF text into a model. The wasm build reports a refused model only by its exception type
 * (the parser's message does not cross into JavaScript), so callers name the offending input.
 */
export function compileMjcf(mj: Mujoco, xml: string): MjModel {
  const path = `/sim2real-${process.pid}-${++fileCounter}.xml`;
  mj.FS.writeFile(path, xml);
  try {
    return mj.MjModel.loadFromXML(path);
  } catch (e) {
    const ptr = (e as { excPtr?: number }).excPtr;
    let kind = 'error';
    if (typeof ptr === 'number') {
      try {
        kind = String(
          (mj as unknown as { getExceptionMessage(p: number): [string, string?] }).getExceptionMessage(ptr)[0],
        );
      } catch {
        // the type is a nicety; the refusal itself is what matters
      }
    }
    throw new MjcfError(kind, `MuJoCo refused the model (${kind})`);
  } finally {
    mj.FS.unlink(path);
  }
}
