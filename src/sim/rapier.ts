/**
 * Loading Rapier. We use the SIMD build (`@dimforge/rapier3d-simd-compat`): it steps our worlds
 * faster than `@dimforge/rapier3d-compat` (`npm run bench -- sim`; docs/design.md, "Findings").
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
