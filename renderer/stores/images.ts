// Thumbnail cache: `getImage` results as data: URLs, fetched a few at a time in request order, bounded in size.
import { defineStore } from 'pinia';
import { shallowReactive } from 'vue';
import { api, dataUrl } from '../api';

const MAX_CACHED = 800;
const CONCURRENCY = 4;
/** A safety bound; thumbnails that leave the screen withdraw their requests ({@link cancel}). */
const MAX_QUEUED = 300;

export const useImagesStore = defineStore('images', () => {
  const urls = shallowReactive(new Map<string, string>());
  const failed = shallowReactive(new Set<string>());
  const queued: string[] = [];
  const inFlight = new Set<string>();

  const key = (path: string, size: number): string => `${size}|${path}`;

  function pump(): void {
    while (inFlight.size < CONCURRENCY && queued.length > 0) {
      const k = queued.shift()!;
      if (urls.has(k) || inFlight.has(k)) continue;
      inFlight.add(k);
      const bar = k.indexOf('|');
      const size = Number(k.slice(0, bar));
      const path = k.slice(bar + 1);
      api()
        .getImage({ path, size })
        .then((image) => {
          urls.set(k, dataUrl(image));
          if (urls.size > MAX_CACHED) urls.delete(urls.keys().next().value!);
        })
        .catch(() => failed.add(k))
        .finally(() => {
          inFlight.delete(k);
          pump();
        });
    }
  }

  /** The data: URL of a thumbnail, or undefined while it loads (the request is queued on first ask). */
  function thumb(path: string, size = 128): string | undefined {
    const k = key(path, size);
    const url = urls.get(k);
    if (url !== undefined || failed.has(k) || inFlight.has(k)) return url;
    if (!queued.includes(k)) queued.push(k);
    if (queued.length > MAX_QUEUED) queued.shift();
    queueMicrotask(pump);
    return undefined;
  }

  /** Withdraws a queued request (a thumbnail scrolled out of the virtualised grid before its turn came). */
  function cancel(path: string, size = 128): void {
    const at = queued.indexOf(key(path, size));
    if (at >= 0) queued.splice(at, 1);
  }

  function hasFailed(path: string, size = 128): boolean {
    return failed.has(key(path, size));
  }

  return { thumb, hasFailed, cancel };
});
