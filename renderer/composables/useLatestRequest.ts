// Requests where only the newest counts. A screen can switch what it shows faster than the main side answers (another
// run, another matrix cell), so each request takes a ticket and an answer to an overtaken ticket is dropped: a slow
// older answer never replaces a newer one.
import type { Ref } from 'vue';
import { useAppStore } from '../stores/app';

/** How a load ended: `current` false when a newer request began meanwhile (its answer is then ignored). */
export type LoadOutcome<T> = { current: true; value: T | undefined } | { current: false };

export type LatestRequest = ReturnType<typeof useLatestRequest>;

export function useLatestRequest() {
  const app = useAppStore();
  let latest = 0;

  /** Begins a request, overtaking every one still in flight. */
  function begin(): number {
    return ++latest;
  }

  /** Whether no request has begun since `ticket`'s. */
  function isCurrent(ticket: number): boolean {
    return ticket === latest;
  }

  /**
   * Runs `task` (an error goes to the banner, the value is then undefined) with `busy` set while it runs. An overtaken
   * load leaves `busy` alone: the newer request it belongs to clears it.
   */
  async function load<T>(busy: Ref<boolean>, task: () => Promise<T>, ticket = begin()): Promise<LoadOutcome<T>> {
    busy.value = true;
    const value = await app.attempt(task);
    if (!isCurrent(ticket)) return { current: false };
    busy.value = false;
    return { current: true, value };
  }

  return { begin, isCurrent, load };
}
