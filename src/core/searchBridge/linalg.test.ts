import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng';
import { gramOfColumns, gramOfRows, lowRankSingularValues, symmetricEigen } from './linalg';

function randomMatrix(rows: number, cols: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: rows * cols }, () => rng.normal());
}

/** Dense (rows × k)(k × cols) product. */
function matmul(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, k: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += a[i * k + t] * b[t * cols + j];
    out[i * cols + j] = s;
  }
  return out;
}

describe('symmetricEigen', () => {
  it('finds the eigenvalues of known matrices', () => {
    // [[2,1],[1,2]] → 3, 1 with eigenvectors (1,1)/√2 and (1,−1)/√2.
    const e = symmetricEigen([2, 1, 1, 2], 2);
    expect(e.values[0]).toBeCloseTo(3, 12);
    expect(e.values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(e.vectors[0])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(e.vectors[0] * e.vectors[2]).toBeCloseTo(0.5, 12); // same sign in both components
    // Diagonal stays diagonal, sorted descending.
    expect(Array.from(symmetricEigen([1, 0, 0, 0, -4, 0, 0, 0, 7], 3).values)).toEqual([7, 1, -4]);
    // Tridiagonal [[2,−1,0],[−1,2,−1],[0,−1,2]] → 2 + √2, 2, 2 − √2.
    const t = symmetricEigen([2, -1, 0, -1, 2, -1, 0, -1, 2], 3).values;
    expect(t[0]).toBeCloseTo(2 + Math.SQRT2, 12);
    expect(t[1]).toBeCloseTo(2, 12);
    expect(t[2]).toBeCloseTo(2 - Math.SQRT2, 12);
  });

  it('decomposes a random symmetric matrix: M V = V Λ, Vᵀ V = I, trace preserved', () => {
    const n = 12;
    const rng = new Rng(3);
    const x = randomMatrix(n, n, rng);
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = x[i * n + j] + x[j * n + i];
    const { values, vectors } = symmetricEigen(m, n);
    const mv = matmul(m, vectors, n, n, n);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) expect(mv[i * n + k]).toBeCloseTo(vectors[i * n + k] * values[k], 9);
    for (let k = 0; k < n; k++) for (let l = 0; l < n; l++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += vectors[i * n + k] * vectors[i * n + l];
      expect(s).toBeCloseTo(k === l ? 1 : 0, 10);
    }
    let tr = 0;
    for (let i = 0; i < n; i++) tr += m[i * n + i];
    expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(tr, 9);
    for (let k = 1; k < n; k++) expect(values[k]).toBeLessThanOrEqual(values[k - 1]);
  });

  it('rejects bad input with a message naming the problem', () => {
    expect(() => symmetricEigen([1, 2, 3], 2)).toThrow(/2×2/);
    expect(() => symmetricEigen([1, 2, 0, 1], 2)).toThrow(/not symmetric at \(0, 1\)/);
    expect(() => symmetricEigen([1, NaN, NaN, 1], 2)).toThrow(/entry \(0, 1\) is NaN/);
  });
});

describe('Gram matrices', () => {
  it('compute M Mᵀ and Mᵀ M', () => {
    const m = [1, 2, 3, 4, 5, 6]; // 2 × 3
    expect(Array.from(gramOfRows(m, 2, 3))).toEqual([14, 32, 32, 77]);
    expect(Array.from(gramOfColumns(m, 2, 3))).toEqual([17, 22, 27, 22, 29, 36, 27, 36, 45]);
  });
});

describe('lowRankSingularValues', () => {
  it('recovers known singular values of B·A built from orthonormal factors', () => {
    // B = U diag(5, 2, 0.5) (U: orthonormal columns), A = rows of a permutation-like orthonormal set.
    const out = 4, r = 3, inF = 5;
    const c = Math.SQRT1_2;
    const U = [c, c, 0, c, -c, 0, 0, 0, 1, 0, 0, 0]; // 4 × 3, orthonormal columns
    const s = [5, 2, 0.5];
    const B = U.map((v, i) => v * s[i % r]);
    const A = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0]; // 3 × 5, orthonormal rows
    const sv = lowRankSingularValues(B, A, { out, rank: r, in: inF }, 2);
    expect(sv[0]).toBeCloseTo(10, 10);
    expect(sv[1]).toBeCloseTo(4, 10);
    expect(sv[2]).toBeCloseTo(1, 10);
  });

  it('satisfies Σσ² = ‖s·B·A‖²_F on random factors, including r > in (rank-deficient AAᵀ)', () => {
    const rng = new Rng(11);
    for (const [out, r, inF] of [[16, 4, 10], [7, 6, 9], [12, 8, 3]]) {
      const B = randomMatrix(out, r, rng);
      const A = randomMatrix(r, inF, rng);
      const scale = 0.37;
      const sv = lowRankSingularValues(B, A, { out, rank: r, in: inF }, scale);
      expect(sv.length).toBe(r);
      const full = matmul(B, A, out, r, inF);
      let fro = 0;
      for (const v of full) fro += (scale * v) ** 2;
      expect(sv.reduce((a, v) => a + v * v, 0)).toBeCloseTo(fro, 8);
      // The update has rank ≤ min(out, r, in): the rest are (numerically) zero.
      const rank = Math.min(out, r, inF);
      for (let k = rank; k < r; k++) expect(sv[k]).toBeLessThan(1e-6 * sv[0]);
      // The largest singular value is ‖sBA‖₂: check against power iteration on (sBA)ᵀ(sBA).
      let x = Float64Array.from({ length: inF }, () => rng.normal());
      for (let it = 0; it < 500; it++) {
        const y = matmul(full, x, out, inF, 1);
        const z = new Float64Array(inF);
        for (let j = 0; j < inF; j++) for (let i = 0; i < out; i++) z[j] += full[i * inF + j] * y[i];
        const nz = Math.hypot(...z);
        x = z.map((v) => v / nz);
      }
      const y = matmul(full, x, out, inF, 1);
      expect(sv[0]).toBeCloseTo(scale * Math.hypot(...y), 6);
    }
  });

  it('gives zeros for a zero B (untrained LoRA) and nothing for rank 0', () => {
    expect(lowRankSingularValues(new Float64Array(8), [1, 2, 3, 4, 5, 6], { out: 4, rank: 2, in: 3 })).toEqual([0, 0]);
    expect(lowRankSingularValues([], [], { out: 4, rank: 0, in: 3 })).toEqual([]);
    expect(() => lowRankSingularValues([1], [1, 2], { out: 2, rank: 1, in: 2 })).toThrow(/B should be 2×1/);
  });
});
