/**
 * In-training rank pruning (AdaLoRA, SalientLoRA) as pure functions over score arrays, plus a controller
 * the training engine drives step by step. The engine measures (sensitivities, singular values, loss); this
 * module decides which rank components survive. Units are LoRA matrices, each with `initialRank` components.
 */

export interface CubicSchedule {
  /** Total components kept before pruning starts (b0) and at the end (bT). */
  initial: number;
  final: number;
  totalSteps: number;
  /** Steps of full-rank warm-up (t_i) and of final fine-tuning at the target budget (t_f). */
  warmupSteps: number;
  finalSteps: number;
}

/** AdaLoRA's cubic budget: b0 until t_i, then bT + (b0 − bT)(1 − progress)³, then bT for the last t_f steps. */
export function cubicBudget(step: number, s: CubicSchedule): number {
  const span = s.totalSteps - s.warmupSteps - s.finalSteps;
  if (step < s.warmupSteps) return s.initial;
  if (span <= 0 || step >= s.totalSteps - s.finalSteps) return s.final;
  const p = (step - s.warmupSteps) / span;
  return Math.round(s.final + (s.initial - s.final) * (1 - p) ** 3);
}

export interface SensitivityState {
  /** Smoothed sensitivity Ī and smoothed uncertainty Ū, one per component. */
  ibar: number[];
  ubar: number[];
}

/**
 * One AdaLoRA smoothing step: I = |θ·∂L/∂θ| (given), Ī ← β1 Ī + (1−β1) I, Ū ← β2 Ū + (1−β2) |I − Ī|.
 * Returns a new state (inputs untouched).
 */
export function adaloraSmooth(state: SensitivityState, sensitivity: readonly number[], beta1: number, beta2: number): SensitivityState {
  if (sensitivity.length !== state.ibar.length) {
    throw new Error(`sensitivity has ${sensitivity.length} components, expected ${state.ibar.length}`);
  }
  const ibar = new Array<number>(sensitivity.length);
  const ubar = new Array<number>(sensitivity.length);
  for (let i = 0; i < sensitivity.length; i++) {
    const I = Math.abs(sensitivity[i]);
    ibar[i] = beta1 * state.ibar[i] + (1 - beta1) * I;
    ubar[i] = beta2 * state.ubar[i] + (1 - beta2) * Math.abs(I - ibar[i]);
  }
  return { ibar, ubar };
}

/** AdaLoRA importance s = Ī · Ū per entry (PEFT's `_element_score`). */
export function adaloraScores(state: SensitivityState): number[] {
  return state.ibar.map((v, i) => v * state.ubar[i]);
}

/**
 * AdaLoRA's score of each rank component (triplet λ_i, A_{i·}, B_{·i}) from entry scores, as PEFT's
 * RankAllocator.mask_to_budget: s(λ_i) + mean_j s(A_ij) + mean_k s(B_ki).
 * @param aScores entry scores of A [rank, in], row-major (row i = component i).
 * @param bScores entry scores of B [out, rank], row-major (column i = component i).
 * @param eScores entry scores of λ [rank] (AdaLoRA's E); omitted for a plain LoRA pair (masks, no λ).
 */
export function adaloraTripletScores(rank: number, aScores: readonly number[], bScores: readonly number[], eScores?: readonly number[]): number[] {
  if (!(rank > 0) || aScores.length % rank !== 0 || bScores.length % rank !== 0 || aScores.length === 0 || bScores.length === 0) {
    throw new Error(`A and B scores must be non-empty multiples of rank ${rank} (got ${aScores.length} and ${bScores.length})`);
  }
  if (eScores && eScores.length !== rank) throw new Error(`λ scores have ${eScores.length} entries, expected ${rank}`);
  const inDim = aScores.length / rank;
  const outDim = bScores.length / rank;
  const out = new Array<number>(rank).fill(0);
  for (let i = 0; i < rank; i++) {
    let a = 0;
    for (let j = 0; j < inDim; j++) a += aScores[i * inDim + j];
    let b = 0;
    for (let k = 0; k < outDim; k++) b += bScores[k * rank + i];
    out[i] = (eScores ? eScores[i] : 0) + a / inDim + b / outDim;
  }
  return out;
}

function zScores(series: readonly number[]): number[] | null {
  const n = series.length;
  if (n < 3) return null;
  const m = series.reduce((a, b) => a + b, 0) / n;
  let ss = 0;
  for (const v of series) ss += (v - m) ** 2;
  if (ss <= 1e-30) return null;
  const sd = Math.sqrt(ss);
  return series.map((v) => (v - m) / sd);
}

function corr(a: number[] | null, b: number[] | null): number {
  if (!a || !b) return 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Components used as the reference set of the dependency term (the largest by magnitude). */
const DEPENDENCY_REFERENCES = 64;

/**
 * SalientLoRA-style salience of the components of one matrix over a time window:
 * s_i = m_i (1 + |ρ(σ_i, loss)|) + γ · mean_{j≠i} |ρ(σ_i, σ_j)| m_j,
 * where m_i is the (globally normalised) mean singular-value magnitude over the window. The first term is the
 * singular value's own weight and how tightly it moves with the loss; the second its influence through the
 * components it is correlated with (j over the 64 largest components, which keeps big ranks affordable).
 * @param magnitude m_i, already normalised across all matrices.
 * @param sigmaWindow [time][component] singular values in the window.
 * @param lossWindow training loss at the same steps.
 */
export function salienceScores(
  magnitude: readonly number[],
  sigmaWindow: readonly (readonly number[])[],
  lossWindow: readonly number[],
  gamma = 0.5,
): number[] {
  const r = magnitude.length;
  if (sigmaWindow.length !== lossWindow.length) throw new Error('singular-value window and loss window differ in length');
  const z = Array.from({ length: r }, (_, i) => zScores(sigmaWindow.map((row) => row[i])));
  const zl = zScores(lossWindow);
  const refs = Array.from({ length: r }, (_, i) => i)
    .sort((a, b) => magnitude[b] - magnitude[a] || a - b)
    .slice(0, DEPENDENCY_REFERENCES);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const own = magnitude[i] * (1 + Math.abs(corr(z[i], zl)));
    let dep = 0;
    let count = 0;
    for (const j of refs) {
      if (j === i) continue;
      dep += Math.abs(corr(z[i], z[j])) * magnitude[j];
      count++;
    }
    out[i] = own + (count > 0 ? (gamma * dep) / count : 0);
  }
  return out;
}

/**
 * Keep the `keep` highest scores over all units (masks[unit][component], true = kept), considering only
 * components where `eligible` is true (others stay pruned). Ties go to the earlier unit/component.
 */
export function topKMasks(scores: readonly (readonly number[])[], keep: number, eligible?: readonly (readonly boolean[])[]): boolean[][] {
  const flat: { s: number; u: number; c: number }[] = [];
  scores.forEach((row, u) =>
    row.forEach((s, c) => {
      if (!eligible || eligible[u][c]) flat.push({ s: Number.isFinite(s) ? s : -Infinity, u, c });
    }),
  );
  flat.sort((a, b) => b.s - a.s || a.u - b.u || a.c - b.c);
  const masks = scores.map((row) => row.map(() => false));
  for (let i = 0; i < Math.min(keep, flat.length); i++) masks[flat[i].u][flat[i].c] = true;
  return masks;
}

export interface PruningOptions {
  method: 'adalora' | 'salientlora';
  numUnits: number;
  initialRank: number;
  /** Components kept over all units at the end. */
  targetTotal: number;
  totalSteps: number;
  /** Defaults: warm-up 10 % of steps, final 20 %, masks updated every 10 steps (ΔT), β1 = β2 = 0.85. */
  warmupSteps?: number;
  finalSteps?: number;
  maskInterval?: number;
  beta1?: number;
  beta2?: number;
  /** SalientLoRA window, growing from min to max steps as pruning proceeds (5 → 20), and γ (0.5). */
  windowMin?: number;
  windowMax?: number;
  gamma?: number;
}

/** One matrix's per-entry sensitivities |θ·∂L/∂θ| (PEFT's `ipt`), flattened row-major. */
export interface ElementSensitivity {
  /** A [rank, in]: row i belongs to component i. */
  A: readonly number[];
  /** B [out, rank]: column i belongs to component i. */
  B: readonly number[];
  /** λ [rank] when the adapter has AdaLoRA's singular values (E); absent for masked plain LoRA. */
  E?: readonly number[];
}

export interface PruningObservation {
  /**
   * AdaLoRA as in PEFT: per unit, the per-entry sensitivities of A, B (and λ). Each entry is smoothed on
   * its own; a component's score is s(λ_i) + mean_j s(A_ij) + mean_k s(B_ki). Preferred over `sensitivity`.
   */
  elementSensitivity?: ElementSensitivity[];
  /**
   * AdaLoRA, coarse form: one sensitivity per unit and component (e.g. |θ·∂L/∂θ| summed over the triplet),
   * smoothed and scored as a single entry. Not PEFT's score (Ī·Ū is quadratic in I, so a sum of entries
   * ranks components differently from PEFT's mean of entry scores); used only without `elementSensitivity`.
   */
  sensitivity?: number[][];
  /** SalientLoRA: current singular values (|λ_i|) per unit and component. */
  singularValues?: number[][];
  loss?: number;
}

/** Stateful driver the training engine calls once per optimiser step. */
export class PruningController {
  readonly options: Required<PruningOptions>;
  private masks: boolean[][];
  private state: SensitivityState;
  /** Per unit, per-entry state of A, B, λ (created on the first element observation). */
  private elementState: { A: SensitivityState; B: SensitivityState; E?: SensitivityState }[] | null = null;
  private finalised = false;
  private sigmaHistory: number[][][] = [];
  private lossHistory: number[] = [];

  constructor(opts: PruningOptions) {
    const total = opts.totalSteps;
    this.options = {
      warmupSteps: Math.floor(total * 0.1),
      finalSteps: Math.floor(total * 0.2),
      maskInterval: 10,
      beta1: 0.85,
      beta2: 0.85,
      windowMin: 5,
      windowMax: 20,
      gamma: 0.5,
      ...opts,
    };
    const o = this.options;
    if (!(o.numUnits > 0 && o.initialRank > 0 && o.totalSteps > 0)) throw new Error('pruning needs units, an initial rank and steps');
    if (o.targetTotal < 0 || o.targetTotal > o.numUnits * o.initialRank) {
      throw new Error(`target total rank ${o.targetTotal} is outside 0..${o.numUnits * o.initialRank}`);
    }
    this.masks = Array.from({ length: o.numUnits }, () => new Array<boolean>(o.initialRank).fill(true));
    const n = o.numUnits * o.initialRank;
    this.state = { ibar: new Array<number>(n).fill(0), ubar: new Array<number>(n).fill(0) };
  }

  budgetAt(step: number): number {
    const o = this.options;
    return cubicBudget(step, {
      initial: o.numUnits * o.initialRank,
      final: o.targetTotal,
      totalSteps: o.totalSteps,
      warmupSteps: o.warmupSteps,
      finalSteps: o.finalSteps,
    });
  }

  private windowAt(step: number): number {
    const o = this.options;
    const span = Math.max(1, o.totalSteps - o.warmupSteps - o.finalSteps);
    const p = Math.min(1, Math.max(0, (step - o.warmupSteps) / span));
    return Math.round(o.windowMin + (o.windowMax - o.windowMin) * p);
  }

  /**
   * Feed one step (0-based); returns the keep-masks to apply from now on. As in PEFT's
   * AdaLoraModel.update_and_allocate: importance is updated only before the final phase; masks follow the
   * cubic budget every `maskInterval` steps during pruning; at the first final step the pattern is set to the
   * target budget once and then stays fixed.
   */
  step(step: number, obs: PruningObservation): boolean[][] {
    const o = this.options;
    const R = o.initialRank;
    const finalStart = o.totalSteps - o.finalSteps;
    const atFinal = step >= finalStart;
    if (o.method === 'adalora') {
      if (!obs.elementSensitivity && !obs.sensitivity) throw new Error('AdaLoRA pruning needs per-entry (or per-component) sensitivities each step');
      if (obs.elementSensitivity) this.checkUnits(obs.elementSensitivity.length);
      else this.flatten(obs.sensitivity!);
      if (!atFinal) this.observeAdalora(obs);
    } else {
      if (!obs.singularValues || obs.loss === undefined) throw new Error('SalientLoRA pruning needs singular values and the loss each step');
      this.flatten(obs.singularValues);
      if (!atFinal) {
        this.sigmaHistory.push(obs.singularValues.map((r) => [...r]));
        this.lossHistory.push(obs.loss);
        if (this.sigmaHistory.length > o.windowMax) {
          this.sigmaHistory.shift();
          this.lossHistory.shift();
        }
      }
    }
    if (this.finalised) return this.getMasks();
    const inPruning = step >= o.warmupSteps && !atFinal;
    const due = (inPruning && (step - o.warmupSteps) % o.maskInterval === 0) || atFinal;
    if (!due) return this.getMasks();
    if (atFinal) this.finalised = true;
    const budget = atFinal ? o.targetTotal : this.budgetAt(step);
    if (o.method === 'adalora') {
      this.masks = topKMasks(this.adaloraComponentScores(), budget);
    } else {
      const kept = this.masks.reduce((a, m) => a + m.filter(Boolean).length, 0);
      if (budget < kept && this.sigmaHistory.length > 0) {
        const w = Math.min(this.windowAt(step), this.sigmaHistory.length);
        const sig = this.sigmaHistory.slice(-w);
        const loss = this.lossHistory.slice(-w);
        const mean = Array.from({ length: o.numUnits }, (_, u) =>
          Array.from({ length: R }, (_, c) => sig.reduce((a, row) => a + Math.abs(row[u][c]), 0) / sig.length),
        );
        const scale = Math.max(1e-30, ...mean.flat());
        const scores = mean.map((m, u) =>
          salienceScores(
            m.map((v) => v / scale),
            sig.map((row) => row[u]),
            loss,
            o.gamma,
          ),
        );
        this.masks = topKMasks(scores, budget, this.masks);
      }
    }
    return this.getMasks();
  }

  /** Current AdaLoRA score of every component, [unit][component]. */
  adaloraComponentScores(): number[][] {
    const o = this.options;
    const R = o.initialRank;
    if (this.elementState) {
      return this.elementState.map((st) => adaloraTripletScores(R, adaloraScores(st.A), adaloraScores(st.B), st.E ? adaloraScores(st.E) : undefined));
    }
    const s = adaloraScores(this.state);
    return Array.from({ length: o.numUnits }, (_, u) => s.slice(u * R, (u + 1) * R));
  }

  private observeAdalora(obs: PruningObservation) {
    const o = this.options;
    const R = o.initialRank;
    if (obs.elementSensitivity) {
      const zero = (n: number): SensitivityState => ({ ibar: new Array<number>(n).fill(0), ubar: new Array<number>(n).fill(0) });
      if (!this.elementState) {
        this.elementState = obs.elementSensitivity.map((e, u) => {
          if (e.A.length === 0 || e.A.length % R !== 0 || e.B.length === 0 || e.B.length % R !== 0) {
            throw new Error(`unit ${u}: A and B sensitivities must be non-empty multiples of rank ${R} (got ${e.A.length} and ${e.B.length})`);
          }
          return { A: zero(e.A.length), B: zero(e.B.length), E: e.E ? zero(R) : undefined };
        });
      }
      this.elementState = this.elementState.map((st, u) => {
        const e = obs.elementSensitivity![u];
        if (!!e.E !== !!st.E) throw new Error(`unit ${u}: λ sensitivities must be given at every step or never`);
        return {
          A: adaloraSmooth(st.A, e.A, o.beta1, o.beta2),
          B: adaloraSmooth(st.B, e.B, o.beta1, o.beta2),
          E: st.E ? adaloraSmooth(st.E, e.E!, o.beta1, o.beta2) : undefined,
        };
      });
    } else {
      this.state = adaloraSmooth(this.state, this.flatten(obs.sensitivity!), o.beta1, o.beta2);
    }
  }

  private checkUnits(n: number) {
    if (n !== this.options.numUnits) throw new Error(`observation has ${n} units, expected ${this.options.numUnits}`);
  }

  getMasks(): boolean[][] {
    return this.masks.map((m) => [...m]);
  }

  keptPerUnit(): number[] {
    return this.masks.map((m) => m.filter(Boolean).length);
  }

  private flatten(perUnit: number[][]): number[] {
    const o = this.options;
    if (perUnit.length !== o.numUnits) throw new Error(`observation has ${perUnit.length} units, expected ${o.numUnits}`);
    const out: number[] = [];
    perUnit.forEach((row, u) => {
      if (row.length !== o.initialRank) throw new Error(`unit ${u} has ${row.length} components, expected ${o.initialRank}`);
      out.push(...row);
    });
    return out;
  }
}
