/**
 * In-training pruning (adalora, salientlora) against the formulas it implements:
 * - AdaLoRA as in PEFT's AdaLoRA RankAllocator: per-entry sensitivity I = |θ·∂L/∂θ|,
 *   Ī ← β1 Ī + (1 − β1) I, Ū ← β2 Ū + (1 − β2) |I − Ī| (with the new Ī), entry score Ī·Ū, and a component's
 *   score s(λ_i) + mean_j s(A_ij) + mean_k s(B_ki); the cubic budget schedule; a fixed pattern in the final phase.
 * - SalientLoRA salience as documented in pruning.ts, on a case worked by hand.
 */
import { describe, expect, it } from 'vitest';
import {
  adaloraScores,
  adaloraSmooth,
  adaloraTripletScores,
  cubicBudget,
  PruningController,
  salienceScores,
  topKMasks,
  type CubicSchedule,
} from './pruning';

describe('cubicBudget (AdaLoRA schedule)', () => {
  // b0 = 100, bT = 20 over 100 steps: warm-up 10, final 20, so the cubic runs over steps 10..80 (span 70).
  const s: CubicSchedule = { initial: 100, final: 20, totalSteps: 100, warmupSteps: 10, finalSteps: 20 };

  it('holds b0 through warm-up, falls as bT + (b0 − bT)(1 − p)³, holds bT for the last t_f steps', () => {
    expect(cubicBudget(0, s)).toBe(100);
    expect(cubicBudget(9, s)).toBe(100);
    expect(cubicBudget(10, s)).toBe(100); // p = 0
    expect(cubicBudget(24, s)).toBe(61); // p = 0.2: 20 + 80 · 0.512 = 60.96
    expect(cubicBudget(45, s)).toBe(30); // p = 0.5: 20 + 80 / 8
    expect(cubicBudget(79, s)).toBe(20); // p = 69/70
    expect(cubicBudget(80, s)).toBe(20);
    expect(cubicBudget(99, s)).toBe(20);
  });

  it('never rises, and differs from PEFT’s budget_schedule (which truncates) by at most one component', () => {
    const peft = (step: number) => {
      const { initial, final, totalSteps, warmupSteps: tinit, finalSteps: tfinal } = s;
      if (step <= tinit) return initial;
      if (step > totalSteps - tfinal) return final;
      const mul = 1 - (step - tinit) / (totalSteps - tfinal - tinit);
      return Math.trunc((initial - final) * mul ** 3 + final);
    };
    let prev = Infinity;
    for (let t = 0; t < s.totalSteps; t++) {
      const b = cubicBudget(t, s);
      expect(b).toBeLessThanOrEqual(prev);
      expect(b - peft(t)).toBeGreaterThanOrEqual(0);
      expect(b - peft(t)).toBeLessThanOrEqual(1);
      prev = b;
    }
  });
});

describe('AdaLoRA importance, as PEFT computes it', () => {
  // One matrix, rank 2, A [2, in = 2], B [out = 2, 2], λ [2]; two steps of per-entry sensitivities I.
  const steps = {
    A: [
      [1, 3, 0, 2],
      [3, 1, 2, 2],
    ],
    B: [
      [2, 0, 4, 1],
      [0, 2, 4, 3],
    ],
    E: [
      [1, 5],
      [2, 1],
    ],
  };
  const smooth = (seq: number[][]) =>
    seq.reduce((st, I) => adaloraSmooth(st, I, 0.85, 0.85), { ibar: seq[0].map(() => 0), ubar: seq[0].map(() => 0) });

  it('smooths each entry: Ī and Ū by hand for A[0,0] (I = 1 then 3)', () => {
    // Step 1: Ī = 0.15 · 1 = 0.15; Ū = 0.15 · |1 − 0.15| = 0.1275.
    const s1 = adaloraSmooth({ ibar: [0], ubar: [0] }, [1], 0.85, 0.85);
    expect(s1.ibar[0]).toBeCloseTo(0.15, 12);
    expect(s1.ubar[0]).toBeCloseTo(0.1275, 12);
    // Step 2: Ī = 0.85 · 0.15 + 0.15 · 3 = 0.5775; Ū = 0.85 · 0.1275 + 0.15 · |3 − 0.5775| = 0.47175 (new Ī).
    const s2 = adaloraSmooth(s1, [3], 0.85, 0.85);
    expect(s2.ibar[0]).toBeCloseTo(0.5775, 12);
    expect(s2.ubar[0]).toBeCloseTo(0.47175, 12);
    expect(adaloraScores(s2)[0]).toBeCloseTo(0.5775 * 0.47175, 12);
    // β1 smooths the sensitivity, β2 the uncertainty: β1 = 0.8, β2 = 0.9 gives Ī = 0.2, Ū = 0.1 · 0.8 = 0.08,
    // then Ī = 0.8 · 0.2 + 0.2 · 3 = 0.76, Ū = 0.9 · 0.08 + 0.1 · |3 − 0.76| = 0.296.
    const t2 = adaloraSmooth(adaloraSmooth({ ibar: [0], ubar: [0] }, [1], 0.8, 0.9), [3], 0.8, 0.9);
    expect(t2.ibar[0]).toBeCloseTo(0.76, 12);
    expect(t2.ubar[0]).toBeCloseTo(0.296, 12);
    // The sensitivity enters as |I| and the inputs are left untouched.
    const neg = adaloraSmooth(s1, [-3], 0.85, 0.85);
    expect(neg).toEqual(s2);
    expect(s1.ibar[0]).toBeCloseTo(0.15, 15);
  });

  it('scores a component as s(λ_i) + mean_j s(A_ij) + mean_k s(B_ki)', () => {
    const a = adaloraScores(smooth(steps.A));
    const b = adaloraScores(smooth(steps.B));
    const e = adaloraScores(smooth(steps.E));
    // Entry scores after two steps (Ī·Ū), computed as above for each entry:
    expect(a).toEqual([0.272435625, 0.210470625, 0.0765, 0.2405925].map((v) => expect.closeTo(v, 12)));
    expect(b).toEqual([0.065025, 0.0765, 0.96237, 0.272435625].map((v) => expect.closeTo(v, 12)));
    expect(e).toEqual([0.147166875, 0.451828125].map((v) => expect.closeTo(v, 12)));
    // Component 0: λ 0.147166875 + A row (0.272435625 + 0.210470625) / 2 + B column (0.065025 + 0.96237) / 2.
    // Component 1: λ 0.451828125 + A row (0.0765 + 0.2405925) / 2 + B column (0.0765 + 0.272435625) / 2.
    const triplet = adaloraTripletScores(2, a, b, e);
    expect(triplet[0]).toBeCloseTo(0.147166875 + 0.241453125 + 0.5136975, 12);
    expect(triplet[1]).toBeCloseTo(0.451828125 + 0.15854625 + 0.1744678125, 12);
    // Without λ (a plain LoRA pair) only the vectors count.
    expect(adaloraTripletScores(2, a, b)[1]).toBeCloseTo(0.15854625 + 0.1744678125, 12);
    expect(() => adaloraTripletScores(2, [1, 2, 3], b)).toThrow(/multiples of rank 2/);
  });

  it('the controller keeps the component PEFT keeps; scoring summed sensitivities would not', () => {
    // Rank 2, A [2, 2], B [1, 2]. Component 0's A row is [2, 2], component 1's [4, 0]: equal sums, but the
    // entry score is quadratic in I, so PEFT's mean of entry scores prefers component 1 (s(4)/2 = 2 s(2)).
    const opts = { method: 'adalora' as const, numUnits: 1, initialRank: 2, targetTotal: 1, totalSteps: 2, warmupSteps: 0, finalSteps: 0, maskInterval: 1 };
    const obsA = [2, 2, 4, 0];
    const obsB = [0, 0];
    const peft = new PruningController(opts);
    expect(peft.budgetAt(0)).toBe(2);
    expect(peft.budgetAt(1)).toBe(1); // 1 + 1 · (1 − ½)³ → 1
    peft.step(0, { elementSensitivity: [{ A: obsA, B: obsB }] });
    expect(peft.step(1, { elementSensitivity: [{ A: obsA, B: obsB }] })).toEqual([[false, true]]);
    const summed = new PruningController(opts);
    summed.step(0, { sensitivity: [[4, 4]] });
    expect(summed.step(1, { sensitivity: [[4, 4]] })).toEqual([[true, false]]);
  });
});

describe('PruningController', () => {
  function drive(method: 'adalora' | 'salientlora', seed = 1) {
    const units = 4;
    const R = 6;
    const ctl = new PruningController({ method, numUnits: units, initialRank: R, targetTotal: 8, totalSteps: 60 });
    let x = seed;
    const noise = () => ((x = (x * 16807) % 2147483647) / 2147483647) - 0.5;
    const history: { step: number; kept: number; masks: string }[] = [];
    for (let s = 0; s < 60; s++) {
      const vals = Array.from({ length: units }, (_, u) => Array.from({ length: R }, (_, c) => (1 + 0.1 * u) * Math.exp(-c / R) * (1 + noise())));
      const masks = ctl.step(s, { sensitivity: vals, singularValues: vals, loss: Math.exp(-s / 20) });
      history.push({ step: s, kept: masks.flat().filter(Boolean).length, masks: JSON.stringify(masks) });
    }
    return { ctl, history };
  }

  for (const method of ['adalora', 'salientlora'] as const) {
    it(`${method}: keeps what the cubic budget allows and ends at the target total`, () => {
      const { ctl, history } = drive(method);
      const o = ctl.options;
      expect(o.warmupSteps).toBe(6);
      expect(o.finalSteps).toBe(12);
      for (const h of history) {
        expect(h.kept).toBeGreaterThanOrEqual(ctl.budgetAt(h.step));
        if (h.step < o.warmupSteps) expect(h.kept).toBe(24);
        const due = h.step >= o.warmupSteps && (h.step - o.warmupSteps) % o.maskInterval === 0;
        if (due && method === 'adalora') expect(h.kept).toBe(ctl.budgetAt(h.step));
      }
      expect(ctl.keptPerUnit().reduce((a, b) => a + b, 0)).toBe(8);
    });

    it(`${method}: the pattern stays fixed during the final fine-tuning steps (as in PEFT)`, () => {
      const { ctl, history } = drive(method);
      const final = history.filter((h) => h.step >= ctl.options.totalSteps - ctl.options.finalSteps);
      expect(final).toHaveLength(12);
      expect(new Set(final.map((h) => h.masks)).size).toBe(1);
    });
  }

  it('salientlora never brings a pruned component back', () => {
    const { history } = drive('salientlora', 7);
    for (let i = 1; i < history.length; i++) {
      const prev = JSON.parse(history[i - 1].masks) as boolean[][];
      const cur = JSON.parse(history[i].masks) as boolean[][];
      cur.forEach((row, u) => row.forEach((k, c) => k && expect(prev[u][c]).toBe(true)));
    }
  });

  it('rejects observations of the wrong shape and an impossible target', () => {
    const ctl = new PruningController({ method: 'adalora', numUnits: 2, initialRank: 3, targetTotal: 2, totalSteps: 10 });
    expect(() => ctl.step(0, { sensitivity: [[1, 2, 3]] })).toThrow(/1 units, expected 2/);
    expect(() => ctl.step(0, {})).toThrow(/sensitivities/);
    expect(() => new PruningController({ method: 'adalora', numUnits: 2, initialRank: 3, targetTotal: 7, totalSteps: 10 })).toThrow(/outside 0..6/);
  });
});

describe('SalientLoRA salience', () => {
  it('matches s_i = m_i (1 + |ρ(σ_i, loss)|) + γ · mean_{j≠i} |ρ(σ_i, σ_j)| m_j on a case worked by hand', () => {
    // Window of three steps; σ columns 0..2 and the loss:
    //   σ0 = 1, 2, 3   σ1 = 1, 3, 2   σ2 = 3, 2, 1   loss = 3, 2, 1
    // Pearson correlations: ρ(σ0, loss) = −1, ρ(σ1, loss) = −½, ρ(σ2, loss) = 1,
    //                       ρ(σ0, σ1) = ½, ρ(σ0, σ2) = −1, ρ(σ1, σ2) = −½.
    // m = 1, ½, ¼ and γ = ½:
    //   s0 = 1 · 2 + ½ · (½ · ½ + 1 · ¼) / 2 = 2.125
    //   s1 = ½ · 1.5 + ½ · (½ · 1 + ½ · ¼) / 2 = 0.90625
    //   s2 = ¼ · 2 + ½ · (1 · 1 + ½ · ½) / 2 = 0.8125
    const sigma = [
      [1, 1, 3],
      [2, 3, 2],
      [3, 2, 1],
    ];
    const s = salienceScores([1, 0.5, 0.25], sigma, [3, 2, 1], 0.5);
    expect(s[0]).toBeCloseTo(2.125, 12);
    expect(s[1]).toBeCloseTo(0.90625, 12);
    expect(s[2]).toBeCloseTo(0.8125, 12);
  });

  it('without a usable window (fewer than 3 steps, or a constant series) only the magnitude counts', () => {
    expect(salienceScores([1, 0.5], [[1, 2], [2, 1]], [1, 0])).toEqual([1, 0.5]);
    const flat = salienceScores([1, 0.5, 0.2], [[1, 1, 1], [2, 1, 3], [3, 1, 2]], [5, 5, 5], 0.5);
    // No loss correlation; σ1 is constant (no correlation at all); ρ(σ0, σ2) = ½.
    expect(flat[0]).toBeCloseTo(1 + (0.5 * (0 + 0.5 * 0.2)) / 2, 12);
    expect(flat[1]).toBeCloseTo(0.5, 12);
    expect(flat[2]).toBeCloseTo(0.2 + (0.5 * (0.5 * 1 + 0)) / 2, 12);
  });
});

describe('topKMasks', () => {
  it('keeps the k largest scores over all units, ties to the earlier unit/component, only among eligible ones', () => {
    const scores = [
      [5, 1, 3],
      [3, 4, NaN],
    ];
    expect(topKMasks(scores, 3)).toEqual([
      [true, false, true],
      [false, true, false],
    ]);
    expect(topKMasks(scores, 4)).toEqual([
      [true, false, true],
      [true, true, false],
    ]);
    const eligible = [
      [false, true, true],
      [true, true, true],
    ];
    // Eligible scores: 1, 3 | 3, 4, −∞ → 4, then the tie 3 = 3 goes to unit 0.
    expect(topKMasks(scores, 2, eligible)).toEqual([
      [false, false, true],
      [false, true, false],
    ]);
  });
});
