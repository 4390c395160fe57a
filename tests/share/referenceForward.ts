/**
 * Plain-JS (float64) RoBERTa + LoRA + heads forward, used by the PEFT round-trip test as the stand-in for
 * the engine's `predict` until that exists. Same semantics as the engine and scripts/peft_roundtrip.py:
 * LoRA applied as x·(W + s·B·A)ᵀ with s = alpha/r (alpha/√r with rsLoRA), heads on the first token.
 */
import type { AdapterSnapshot } from '../../src/core/model/adapter';
import type { NamedTensor } from '../../src/core/model/safetensors';

export interface TinyConfig {
  _name_or_path?: string;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  layer_norm_eps: number;
  pad_token_id: number;
}
export interface Prediction {
  score?: number[];
  logits?: number[][];
}

type Mat = { rows: number; cols: number; d: Float64Array };
const mat = (t: NamedTensor): Mat => ({ rows: t.shape[0], cols: t.shape[1] ?? 1, d: Float64Array.from(t.data) });

/** y = x Wᵀ + b for a [T, in] activation and W [out, in]. */
function linear(x: Float64Array, T: number, W: Mat, b?: Float64Array | Float32Array): Float64Array {
  const out = new Float64Array(T * W.rows);
  for (let t = 0; t < T; t++)
    for (let o = 0; o < W.rows; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < W.cols; i++) s += x[t * W.cols + i] * W.d[o * W.cols + i];
      out[t * W.rows + o] = s;
    }
  return out;
}

function layerNorm(x: Float64Array, T: number, H: number, g: Float32Array, b: Float32Array, eps: number) {
  for (let t = 0; t < T; t++) {
    let m = 0;
    for (let i = 0; i < H; i++) m += x[t * H + i];
    m /= H;
    let v = 0;
    for (let i = 0; i < H; i++) v += (x[t * H + i] - m) ** 2;
    v /= H;
    const inv = 1 / Math.sqrt(v + eps);
    for (let i = 0; i < H; i++) x[t * H + i] = (x[t * H + i] - m) * inv * g[i] + b[i];
  }
}

function erf(x: number): number {
  // Series / continued fraction to double precision is overkill; use a high-accuracy rational approximation
  // via the complementary error function (W. J. Cody), accurate to ~1e-15.
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  if (a < 0.5) {
    const p = [3.1611237438705656, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315];
    const q = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
    const z = a * a;
    let num = p[4] * z, den = z;
    for (let i = 0; i < 3; i++) { num = (num + p[i]) * z; den = (den + q[i]) * z; }
    return (x * (num + p[3])) / (den + q[3]);
  }
  let erfc: number;
  if (a < 4) {
    const p = [0.5641884969886701, 8.883149794388376, 66.11919063714163, 298.635138197400, 881.9522212417691, 1712.0476126340707, 2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8];
    const q = [15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597, 4362.619090143247, 3439.3676741437216, 1230.3393548037495];
    let num = p[8] * a, den = a;
    for (let i = 0; i < 7; i++) { num = (num + p[i]) * a; den = (den + q[i]) * a; }
    erfc = (num + p[7]) / (den + q[7]);
  } else {
    const p = [0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 6.587491615298378e-4, 0.016315387137302097];
    const q = [2.568520192289822, 1.8729528499234604, 0.5279051029514285, 0.06051834131244132, 0.0023352049762686918];
    const z = 1 / (a * a);
    let num = p[5] * z, den = z;
    for (let i = 0; i < 4; i++) { num = (num + p[i]) * z; den = (den + q[i]) * z; }
    erfc = (z * (num + p[4])) / (den + q[4]);
    erfc = (0.5641895835477563 - erfc) / a;
  }
  erfc *= Math.exp(-a * a);
  return sign * (1 - erfc);
}

export function referencePredict(cfg: TinyConfig, base: Map<string, NamedTensor>, snap: AdapterSnapshot, ids: number[][]): Prediction & { cls: number[][] } {
  const H = cfg.hidden_size, nh = cfg.num_attention_heads, dh = H / nh, pad = cfg.pad_token_id;
  const get = (n: string) => {
    const t = base.get(n);
    if (!t) throw new Error(`missing ${n}`);
    return t;
  };
  // Merge LoRA into effective weights once.
  const W = new Map<string, Mat>();
  for (let l = 0; l < cfg.num_hidden_layers; l++)
    for (const t of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense', 'intermediate.dense', 'output.dense']) {
      const name = `roberta.encoder.layer.${l}.${t}`;
      const m = mat(get(name + '.weight'));
      const r = snap.ranks[l];
      const lw = snap.lora[`${l}.${t}`];
      if (r > 0 && lw && (snap.targets as string[]).includes(t)) {
        const s = snap.rslora ? snap.alphas[l] / Math.sqrt(r) : snap.alphas[l] / r;
        for (let o = 0; o < m.rows; o++)
          for (let i = 0; i < m.cols; i++) {
            let acc = 0;
            for (let k = 0; k < r; k++) acc += lw.B.data[o * r + k] * lw.A.data[k * m.cols + i];
            m.d[o * m.cols + i] += s * acc;
          }
      }
      W.set(name, m);
    }
  const cls: number[][] = [];
  for (const seq of ids) {
    // Each sequence alone: padding only changes masked positions, which never reach the first token.
    const T = seq.length;
    const x = new Float64Array(T * H);
    const we = get('roberta.embeddings.word_embeddings.weight').data, pe = get('roberta.embeddings.position_embeddings.weight').data;
    const te = get('roberta.embeddings.token_type_embeddings.weight').data;
    let count = 0;
    for (let t = 0; t < T; t++) {
      const pos = seq[t] !== pad ? ++count + pad : pad;
      for (let i = 0; i < H; i++) x[t * H + i] = we[seq[t] * H + i] + pe[pos * H + i] + te[i];
    }
    layerNorm(x, T, H, get('roberta.embeddings.LayerNorm.weight').data, get('roberta.embeddings.LayerNorm.bias').data, cfg.layer_norm_eps);
    let h: Float64Array = x;
    for (let l = 0; l < cfg.num_hidden_layers; l++) {
      const p = `roberta.encoder.layer.${l}.`;
      const q = linear(h, T, W.get(p + 'attention.self.query')!, get(p + 'attention.self.query.bias').data);
      const k = linear(h, T, W.get(p + 'attention.self.key')!, get(p + 'attention.self.key.bias').data);
      const v = linear(h, T, W.get(p + 'attention.self.value')!, get(p + 'attention.self.value.bias').data);
      const ctx = new Float64Array(T * H);
      for (let hd = 0; hd < nh; hd++)
        for (let i = 0; i < T; i++) {
          const sc = new Float64Array(T);
          let mx = -Infinity;
          for (let j = 0; j < T; j++) {
            let s = 0;
            for (let d = 0; d < dh; d++) s += q[i * H + hd * dh + d] * k[j * H + hd * dh + d];
            sc[j] = s / Math.sqrt(dh);
            mx = Math.max(mx, sc[j]);
          }
          let z = 0;
          for (let j = 0; j < T; j++) z += sc[j] = Math.exp(sc[j] - mx);
          for (let j = 0; j < T; j++) for (let d = 0; d < dh; d++) ctx[i * H + hd * dh + d] += (sc[j] / z) * v[j * H + hd * dh + d];
        }
      const a = linear(ctx, T, W.get(p + 'attention.output.dense')!, get(p + 'attention.output.dense.bias').data);
      for (let i = 0; i < a.length; i++) a[i] += h[i];
      layerNorm(a, T, H, get(p + 'attention.output.LayerNorm.weight').data, get(p + 'attention.output.LayerNorm.bias').data, cfg.layer_norm_eps);
      const inter = linear(a, T, W.get(p + 'intermediate.dense')!, get(p + 'intermediate.dense.bias').data);
      for (let i = 0; i < inter.length; i++) inter[i] = 0.5 * inter[i] * (1 + erf(inter[i] / Math.SQRT2));
      const o = linear(inter, T, W.get(p + 'output.dense')!, get(p + 'output.dense.bias').data);
      for (let i = 0; i < o.length; i++) o[i] += a[i];
      layerNorm(o, T, H, get(p + 'output.LayerNorm.weight').data, get(p + 'output.LayerNorm.bias').data, cfg.layer_norm_eps);
      h = o;
    }
    cls.push(Array.from(h.subarray(0, H)));
  }
  const out: Prediction & { cls: number[][] } = { cls };
  const hd = snap.heads;
  const head = (x: number[], n: string, act: (v: number) => number) => {
    const W1 = mat(hd[`${n}.dense.weight`]);
    const y1 = linear(Float64Array.from(x), 1, W1, hd[`${n}.dense.bias`].data).map(act);
    return Array.from(linear(y1, 1, mat(hd[`${n}.out.weight`]), hd[`${n}.out.bias`].data));
  };
  if (hd['regression.dense.weight']) out.score = cls.map((c) => head(c, 'regression', (v) => 1 / (1 + Math.exp(-v)))[0]);
  if (hd['classification.dense.weight']) out.logits = cls.map((c) => head(c, 'classification', Math.tanh));
  return out;
}
