/**
 * Eigendecomposition of a small symmetric matrix by cyclic Jacobi rotations, for CMA-ES's covariance
 * (cmaes.ts). Hand-written rather than a linear-algebra package: the matrices are at most a few
 * dozen rows (one per identified parameter), Jacobi is accurate to the last bits for symmetric
 * matrices, and being plain arithmetic in a fixed order it gives bit-identical results across runs,
 * which resuming a killed optimisation relies on.
 */

export interface Eigen {
  /** Eigenvalues, in the order of the columns of `vectors`. */
  values: Float64Array;
  /** Orthonormal eigenvectors as columns, row-major n×n. */
  vectors: Float64Array;
}

/** Sweeps before giving up; Jacobi converges quadratically, so real matrices need well under 20. */
const MAX_SWEEPS = 60;

/** Eigenvalues and eigenvectors of the symmetric n×n matrix `a` (row-major; only read, not changed). */
export function symmetricEigen(a: Float64Array, n: number): Eigen {
  if (a.length !== n * n) throw new Error(`symmetricEigen: expected ${n * n} entries, got ${a.length}`);
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i] * m[i * n + i];
      for (let j = i + 1; j < n; j++) off += m[i * n + j] * m[i * n + j];
    }
    // Stop once the off-diagonal mass is negligible against the diagonal: further rotations only
    // shuffle rounding errors.
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) rotate(m, v, n, p, q);
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i];
  return { values, vectors: v };
}

/** One Jacobi rotation zeroing m[p][q] (Numerical Recipes' stable form), accumulated into v. */
function rotate(m: Float64Array, v: Float64Array, n: number, p: number, q: number): void {
  const apq = m[p * n + q];
  if (apq === 0) return;
  const app = m[p * n + p];
  const aqq = m[q * n + q];
  const theta = (aqq - app) / (2 * apq);
  const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < n; k++) {
    const mkp = m[k * n + p];
    const mkq = m[k * n + q];
    m[k * n + p] = c * mkp - s * mkq;
    m[k * n + q] = s * mkp + c * mkq;
  }
  for (let k = 0; k < n; k++) {
    const mpk = m[p * n + k];
    const mqk = m[q * n + k];
    m[p * n + k] = c * mpk - s * mqk;
    m[q * n + k] = s * mpk + c * mqk;
  }
  // Exact zero and symmetry where the rotation put them, so rounding does not accumulate there.
  m[p * n + q] = 0;
  m[q * n + p] = 0;
  for (let k = 0; k < n; k++) {
    const vkp = v[k * n + p];
    const vkq = v[k * n + q];
    v[k * n + p] = c * vkp - s * vkq;
    v[k * n + q] = s * vkp + c * vkq;
  }
}
