import { UnitsOfWork } from '@gcpa/database';

/**
 * Tries `attempt` until it yields a value or `waitMs` has passed (0: one try), sleeping between tries with a
 * jittered exponential backoff from `firstMs` up to `maxMs`. Undefined when it never yielded.
 */
export async function pollUntil<T>(attempt: () => Promise<T | undefined>, waitMs: number, firstMs: number, maxMs: number): Promise<T | undefined> {
  const deadline = Date.now() + waitMs;
  for (let wait = firstMs; ; wait = Math.min(wait * 2, maxMs)) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return undefined;
    // Nothing of the unit of work stays uncommitted (its locks held) while this waits.
    await UnitsOfWork.flush();
    await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * wait));
  }
}
