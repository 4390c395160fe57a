/**
 * AdaLoRA / SalientLoRA's pruning run: a trial (runTrial, the one training loop) at the initial rank whose
 * LoRA has per-component keep-masks (MaskedLoraAdapter), with step hooks that feed the search's pruning
 * controller. After each optimiser step the controller gets, per matrix (unit = layer · T + target, targets in
 * `settings.lora.targets` order) and component i:
 *   sensitivity_i = Σ_j |A_ij ∂L/∂A_ij| + Σ_k |B_ki ∂L/∂B_ki| (θ and gradient before the update; AdaLoRA's
 *     |θ·∂L/∂θ| summed over the component's parameters),
 *   singularValues_i = s · m_i · ‖B_{·i}‖ · ‖A_{i·}‖ (after the update): the norm of the component's rank-1
 *     term, which is the singular value AdaLoRA's λ_i stands for (exact when the B columns and A rows are
 *     orthogonal, which AdaLoRA's regulariser pushes towards),
 *   loss: the step's training loss,
 * and its keep-masks hold from the next step's forward pass on (and for the final validation).
 * Because it is the same loop with the same seed streams, a pruning run matches a plain trial until the
 * first mask change.
 */
import * as tf from '@tensorflow/tfjs';
import type { RobertaModel } from '../model/roberta';
import type { TargetModule } from '../model/adapter';
import { loraKey } from '../model/lora';
import type { PruningRequest, PruningResult } from '../search/hooks';
import { trainables, type TrainContext } from '../train/step';
import { runTrial, trialSteps, validateTrial, type StepHooks, type TrialData, type TrialSettings } from '../train/trainer';
import { MaskedLoraAdapter } from './maskedLora';

interface Unit {
  layer: number;
  target: TargetModule;
  key: string;
}

/** Train `settings` (ranks = the initial rank everywhere) while the request's controller prunes components. */
export async function runPruning(model: RobertaModel, data: TrialData, settings: TrialSettings, req: PruningRequest, signal?: AbortSignal): Promise<PruningResult> {
  validateTrial(data, settings);
  const numLayers = model.layers.length;
  const targets = settings.lora.targets;
  const R = req.initialRank;
  const controller = req.createController(trialSteps(data, settings));
  const units: Unit[] = [];
  for (let layer = 0; layer < numLayers; layer++) for (const target of targets) units.push({ layer, target, key: loraKey(layer, target) });
  if (controller.options.numUnits !== units.length || controller.options.initialRank !== R) {
    throw new Error(
      `pruning controller expects ${controller.options.numUnits} matrices of rank ${controller.options.initialRank}; the model has ${units.length} (${numLayers} layers × ${targets.length} targets) of rank ${R}`,
    );
  }

  let lora: MaskedLoraAdapter | undefined;
  let gradIndex = new Map<string, number>();
  let lossSum = 0;
  const rowsOf = (d: ArrayLike<number>) => units.map((_, u) => Array.from({ length: R }, (_, c) => d[u * R + c]));
  const hooks: StepHooks = {
    prepare(ctx: TrainContext) {
      lora = MaskedLoraAdapter.wrap(ctx.lora);
      ctx.lora = lora;
      gradIndex = new Map(trainables(ctx).map(([n], i) => [n, i]));
    },
    // |θ · ∂L/∂θ| summed over each component's A row and B column, before the update.
    afterGradients: (grads) =>
      tf.tidy(() =>
        tf.stack(
          units.map(({ key }) => {
            const e = lora!.entries.get(key)!;
            const gA = grads[gradIndex.get(`lora.${key}.A`)!];
            const gB = grads[gradIndex.get(`lora.${key}.B`)!];
            return tf.add(tf.sum(tf.abs(tf.mul(e.A, gA)), 1), tf.sum(tf.abs(tf.mul(e.B, gB)), 0));
          }),
        ),
      ),
    async afterUpdate(step, { loss, fromGradients }) {
      const sv = tf.tidy(() =>
        tf.stack(
          units.map(({ layer, target, key }) => {
            const e = lora!.entries.get(key)!;
            const nA = tf.sqrt(tf.sum(tf.square(e.A), 1));
            const nB = tf.sqrt(tf.sum(tf.square(e.B), 0));
            return tf.mul(tf.mul(nA, nB), tf.abs(tf.reshape(lora!.scaledMask(layer, target), [R])));
          }),
        ),
      );
      const svData = await sv.data();
      sv.dispose();
      lossSum += loss;
      const masks = controller.step(step, { sensitivity: rowsOf(fromGradients!), singularValues: rowsOf(svData), loss });
      units.forEach(({ layer, target }, u) => lora!.setMask(layer, target, masks[u]));
    },
  };

  const res = await runTrial(model, data, settings, { signal, step: hooks });
  if (res.status === 'cancelled') throw new Error(res.reason ?? 'Cancelled by the user.');
  if (res.status !== 'completed' || !res.final) {
    throw new Error(`Pruning run (initial rank ${R}, ${settings.epochs} epochs) ${res.status}: ${res.reason ?? 'no validation metrics'}`);
  }
  const metrics: Record<string, number> = { steps: res.steps, trainLoss: lossSum / Math.max(1, res.steps) };
  for (const [k, v] of Object.entries(res.final)) if (typeof v === 'number') metrics[k] = v;
  return { keptPerUnit: controller.keptPerUnit(), metrics };
}
