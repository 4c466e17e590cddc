// Checkpoint and rollback phase. Checkpoints are written periodically, at the last step and on a
// stop; a step whose losses or gradients are not finite is not applied by the step, and the run
// rolls back to the newest checkpoint (weights, optimiser, data position, history). A second
// rejection before the next checkpoint also halves the learning rate; after MAX_ROLLBACKS the
// run gives up.

import { loadNewestCheckpoint, saveCheckpoint, type CheckpointMeta } from './checkpoint.ts';
import { formatLosses, History } from './history.ts';
import type { Position, Session } from './session.ts';
import type { StepLosses } from './types.ts';

/** Rollbacks to the same checkpoint before the run gives up. */
export const MAX_ROLLBACKS = 8;

export class Checkpoints {
  /** Rollbacks in this session. */
  rollbacks = 0;
  /** Rollbacks since the last checkpoint was written. */
  private sinceSave = 0;
  /** The step of the newest checkpoint written or rolled back to. */
  savedStep: number;

  constructor(private readonly session: Session, pos: Position) {
    this.savedStep = pos.step;
  }

  /** A checkpoint is due after step `s`: periodic, the last step, or a stop. */
  due(s: number, stopping: boolean): boolean {
    const c = this.session.config;
    return s % c.checkpointEvery === 0 || s === c.steps || stopping;
  }

  /** Write the step's state and `pos` as the checkpoint of `pos.step`. */
  async save(pos: Position): Promise<void> {
    const { session } = this;
    const { config } = session;
    if (!pos.data) throw new Error('a checkpoint needs the data position: start the batch source first');
    const meta: CheckpointMeta = { step: pos.step, data: pos.data, config, history: pos.history.toJSON(), backoff: pos.backoff, wallMs: session.wallMs(pos) };
    pos.checkpoint = saveCheckpoint(session.ckDir, await session.step.exportState(), meta, config.keepCheckpoints);
    this.savedStep = pos.step;
    this.sinceSave = 0;
    session.record({ event: 'checkpoint', step: pos.step, path: pos.checkpoint });
  }

  /** Step `failed` was rejected with `losses`: back to the newest checkpoint, in the step and in `pos`. */
  rollback(pos: Position, failed: number, losses: StepLosses): void {
    const { session } = this;
    this.rollbacks++;
    this.sinceSave++;
    if (this.sinceSave > MAX_ROLLBACKS) throw new Error(`step ${failed}: non-finite losses after ${MAX_ROLLBACKS} rollbacks and learning-rate cuts; giving up (last checkpoint ${pos.checkpoint})`);
    const cut = this.sinceSave >= 2;
    if (cut) pos.backoff *= 0.5;
    const ck = loadNewestCheckpoint(session.ckDir, session.say);
    if (!ck) throw new Error(`step ${failed}: non-finite losses and no readable checkpoint to roll back to`);
    session.step.importState(ck.state);
    pos.history = History.fromJSON(ck.meta.history);
    pos.step = ck.meta.step;
    pos.data = ck.meta.data;
    pos.checkpoint = ck.path;
    this.savedStep = pos.step;
    session.say(`step ${failed}: non-finite loss (${formatLosses(losses)}); update skipped, rolled back to step ${pos.step}${cut ? `, learning rate ×${pos.backoff}` : ''}`);
    session.record({ event: 'nonfinite', step: failed, losses, rollbackTo: pos.step, checkpoint: ck.path, backoff: pos.backoff });
  }
}
