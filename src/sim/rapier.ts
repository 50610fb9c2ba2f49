/**
 * Loading Rapier. We use the SIMD build (`@dimforge/rapier3d-simd-compat`): on the 2-core x86 CI
 * machines it steps our worlds about 2x faster than `@dimforge/rapier3d-compat` (see `npm run bench -- sim`).
 * The plain build stays available for CPUs without WASM SIMD.
 */
import type RAPIER_NS from '@dimforge/rapier3d-simd-compat';

export type Rapier = typeof RAPIER_NS;
export type World = RAPIER_NS.World;
export type RigidBody = RAPIER_NS.RigidBody;
export type Collider = RAPIER_NS.Collider;

export type RapierFlavor = 'simd' | 'compat';

const loaded = new Map<RapierFlavor, Promise<Rapier>>();

/** The initialised Rapier module; loading is cached per flavour. */
export function loadRapier(flavor: RapierFlavor = 'simd'): Promise<Rapier> {
  let p = loaded.get(flavor);
  if (!p) {
    p = (async () => {
      const mod = (flavor === 'simd'
        ? await import('@dimforge/rapier3d-simd-compat')
        : await import('@dimforge/rapier3d-compat')) as unknown as { default: Rapier };
      const R = mod.default;
      await R.init();
      return R;
    })();
    loaded.set(flavor, p);
  }
  return p;
}
