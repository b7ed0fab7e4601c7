// Number, duration and parameter formatting shared by the views.

export const pct = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? '–' : `${v.toFixed(digits)}%`);

/** A 0–1 fraction as a percentage. */
export const frac = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(digits)}%`);

export const num = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

/** 75 → "1 min 15 s", 3725 → "1 h 2 min". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** 1234567 → "1.23 M". */
export function count(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export const ratio = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v.toFixed(3));

/** The last path segment (either separator). */
export const baseName = (path: string): string => path.split(/[\\/]/).filter(Boolean).at(-1) ?? path;
