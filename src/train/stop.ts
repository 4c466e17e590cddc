// Stopping a training run cleanly. `vivid train` installs the signal handlers before it does
// any other work (config, GPU, data), so a signal that arrives while the run is still starting
// is not lost: SIGINT to a job started in the background is otherwise ignored and SIGTERM
// would kill the process outright. The first signal asks the loop to finish its step, save a
// checkpoint and the generator, and the process then exits 128 + the signal's number (SIGINT
// 130, SIGTERM 143, the shell convention); a second one quits at once, leaving the last
// checkpoint intact.

import { constants } from 'node:os';

export type StopReason = 'SIGINT' | 'SIGTERM' | 'time limit';

export class StopRequest {
  reason: StopReason | null = null;
  /** Where messages go; the training loop points it at its progress output. */
  log: (message: string) => void = (m) => console.error(m);

  get requested(): boolean {
    return this.reason !== null;
  }

  request(reason: StopReason): void {
    this.reason ??= reason;
  }
}

/** The process exit status for a run that ended for `reason`: 128 + signal number, else 0. */
export function exitStatus(reason: StopReason | null): number {
  return reason === 'SIGINT' || reason === 'SIGTERM' ? 128 + constants.signals[reason] : 0;
}

/** Route SIGINT and SIGTERM to `stop`; returns the function that removes the handlers. */
export function installSignalStop(stop: StopRequest): () => void {
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    if (stop.reason === 'SIGINT' || stop.reason === 'SIGTERM') {
      stop.log(`${sig} again: quitting without a new checkpoint (the last one is intact)`);
      process.exit(exitStatus(sig));
    }
    stop.request(sig);
    stop.log(`${sig}: finishing the current step, then saving a checkpoint and the generator (send again to quit at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
