/**
 * Small dense linear algebra in plain JS (float64), enough to get the exact singular values of a LoRA update
 * s·B·A without forming the out × in matrix: with G_A = AAᵀ and G_B = BᵀB (both r × r),
 * σ²(sBA) = eig(s² · G_A^{1/2} G_B G_A^{1/2}). The square root comes from an eigendecomposition rather than a
 * Cholesky factor so a rank-deficient A (r > in, or collinear rows) needs no jitter: the result is exact.
 * Matrices are row-major arrays.
 */

export interface SymmetricEigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** n × n row-major; column k is the unit eigenvector of values[k]. */
  vectors: Float64Array;
}

/**
 * Eigenvalues and eigenvectors of a real symmetric n × n matrix by cyclic Jacobi rotations (accurate to
 * rounding for well- and ill-conditioned matrices alike; O(n³) per sweep, a handful of sweeps).
 * Only the upper triangle's symmetry is assumed, not checked beyond a tolerance.
 */
export function symmetricEigen(matrix: ArrayLike<number>, n: number, maxSweeps = 100): SymmetricEigen {
  if (!Number.isInteger(n) || n < 0) throw new Error(`matrix size must be a non-negative integer, got ${n}`);
  if (matrix.length !== n * n) throw new Error(`expected ${n}×${n} = ${n * n} entries, got ${matrix.length}`);
  const a = Float64Array.from(matrix);
  let scale = 0;
  for (let i = 0; i < n * n; i++) {
    if (!Number.isFinite(a[i])) throw new Error(`matrix entry (${Math.floor(i / n)}, ${i % n}) is ${a[i]}`);
    scale = Math.max(scale, Math.abs(a[i]));
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (Math.abs(a[i * n + j] - a[j * n + i]) > 1e-9 * Math.max(1, scale)) {
        throw new Error(`matrix is not symmetric at (${i}, ${j}): ${a[i * n + j]} vs ${a[j * n + i]}`);
      }
    }
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i] ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j] ** 2;
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300) || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        // Rotation that zeroes a[p][q] (Golub & Van Loan, symmetric Schur decomposition).
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y] - a[x * n + x]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, k) => {
    values[k] = a[src * n + src];
    for (let i = 0; i < n; i++) vectors[i * n + k] = v[i * n + src];
  });
  return { values, vectors };
}

/** M Mᵀ of a rows × cols matrix (rows × rows). */
export function gramOfRows(m: ArrayLike<number>, rows: number, cols: number): Float64Array {
  if (m.length !== rows * cols) throw new Error(`expected ${rows}×${cols} entries, got ${m.length}`);
  const g = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) {
    for (let j = i; j < rows; j++) {
      let s = 0;
      const oi = i * cols;
      const oj = j * cols;
      for (let k = 0; k < cols; k++) s += m[oi + k] * m[oj + k];
      g[i * rows + j] = s;
      g[j * rows + i] = s;
    }
  }
  return g;
}

/** Mᵀ M of a rows × cols matrix (cols × cols). */
export function gramOfColumns(m: ArrayLike<number>, rows: number, cols: number): Float64Array {
  if (m.length !== rows * cols) throw new Error(`expected ${rows}×${cols} entries, got ${m.length}`);
  const g = new Float64Array(cols * cols);
  for (let k = 0; k < rows; k++) {
    const o = k * cols;
    for (let i = 0; i < cols; i++) {
      const mi = m[o + i];
      if (mi === 0) continue;
      for (let j = i; j < cols; j++) g[i * cols + j] += mi * m[o + j];
    }
  }
  for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) g[i * cols + j] = g[j * cols + i];
  return g;
}

/**
 * Singular values (descending, r of them, zeros included) of scale · B · A with B out × r and A r × in,
 * computed from the r × r Gram matrices only.
 */
export function lowRankSingularValues(
  B: ArrayLike<number>,
  A: ArrayLike<number>,
  dims: { out: number; rank: number; in: number },
  scale = 1,
): number[] {
  const { out, rank: r, in: inF } = dims;
  if (B.length !== out * r) throw new Error(`B should be ${out}×${r} (${out * r} values), got ${B.length}`);
  if (A.length !== r * inF) throw new Error(`A should be ${r}×${inF} (${r * inF} values), got ${A.length}`);
  if (r === 0) return [];
  const ga = symmetricEigen(gramOfRows(A, r, inF), r);
  const gb = gramOfColumns(B, out, r);
  // S = V diag(√d) — so that S Sᵀ = AAᵀ; then σ² = eig(Sᵀ G_B S) · scale².
  const sq = ga.values.map((d) => Math.sqrt(Math.max(0, d)));
  const S = new Float64Array(r * r);
  for (let i = 0; i < r; i++) for (let k = 0; k < r; k++) S[i * r + k] = ga.vectors[i * r + k] * sq[k];
  const gs = new Float64Array(r * r); // G_B S
  for (let i = 0; i < r; i++) {
    for (let k = 0; k < r; k++) {
      let s = 0;
      for (let j = 0; j < r; j++) s += gb[i * r + j] * S[j * r + k];
      gs[i * r + k] = s;
    }
  }
  const m = new Float64Array(r * r); // Sᵀ G_B S
  for (let k = 0; k < r; k++) {
    for (let l = k; l < r; l++) {
      let s = 0;
      for (let i = 0; i < r; i++) s += S[i * r + k] * gs[i * r + l];
      m[k * r + l] = s;
      m[l * r + k] = s;
    }
  }
  const e = symmetricEigen(m, r);
  const s2 = scale * scale;
  return Array.from(e.values, (x) => Math.sqrt(Math.max(0, x * s2)));
}
