// The native engine for the tests that exercise it: loaded once per process, or each such test skips with the reason.
import type { TestContext } from 'node:test';
import { initEngine } from '../../main/engine/select.js';

let loading: Promise<boolean> | null = null;

/** Whether the native engine loaded (it is made the active backend when it does). */
export function loadNativeEngine(): Promise<boolean> {
  loading ??= initEngine({ requested: 'native' }).then(
    () => true,
    () => false,
  );
  return loading;
}

/** Skips `t` where the native engine did not load; true when it skipped, so the test returns. */
export function skipWithoutNative(t: TestContext, native: boolean): boolean {
  if (!native) t.skip('native engine not set up (npm run setup:native-engine)');
  return !native;
}
