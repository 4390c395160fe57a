/**
 * One tab trains a run: the worker that trains it holds a Web Lock named after the run for as long as it
 * trains. Another tab sees the lock held and must not resume the run (two workers would write the same
 * records). The browser releases the lock when the holding tab closes or crashes, so a run left "running"
 * in storage with no lock held was interrupted and can be resumed.
 */
export const RUNNING_ELSEWHERE = 'This run is running in another tab of this browser: pause or resume it there (or close that tab first).';

export function runLockName(runId: string): string {
  return `rank-lab-run:${runId}`;
}

function lockManager(): LockManager | undefined {
  return typeof navigator !== 'undefined' ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
}

/**
 * Run `body` while holding the run's lock; throws RUNNING_ELSEWHERE at once when another tab holds it.
 * Without the Web Locks API (old browsers, Node) the body simply runs.
 */
export async function withRunLock<T>(runId: string, body: () => Promise<T>): Promise<T> {
  const locks = lockManager();
  if (!locks) return body();
  let out!: T;
  await locks.request(runLockName(runId), { ifAvailable: true }, async (lock) => {
    if (!lock) throw new Error(RUNNING_ELSEWHERE);
    out = await body();
  });
  return out;
}

/** Whether some tab (this one included) holds the run's lock now. */
export async function runLockHeld(runId: string): Promise<boolean> {
  const locks = lockManager();
  if (!locks) return false;
  const snap = await locks.query();
  return (snap.held ?? []).some((l) => l.name === runLockName(runId));
}

/** Resolves once the run's lock is free (the other tab stopped training it or closed). */
export async function whenRunLockFree(runId: string): Promise<void> {
  const locks = lockManager();
  if (!locks) return;
  // Shared mode: waits for the trainer's exclusive hold to end without ever blocking another waiter long.
  await locks.request(runLockName(runId), { mode: 'shared' }, async () => undefined);
}
