// Errors across transports: any thrown value becomes {code, message}; the client side rebuilds an ApiError.
import { UnmaskError } from '../engine/errors.js';
import type { ErrorPayload } from './contract.js';

/** {code, message} of an UnmaskError; anything else is INTERNAL with its first line (no stack crosses over). */
export function toErrorPayload(error: unknown): ErrorPayload {
  if (error instanceof UnmaskError) return { code: error.code, message: error.message };
  // A payload that already crossed a boundary. Node's system errors (ENOENT…) also carry a code, but are Errors.
  if (error && typeof error === 'object' && !(error instanceof Error)) {
    const { code, message } = error as Partial<ErrorPayload>;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code) && typeof message === 'string') return { code, message };
  }
  const text = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: text.split('\n')[0] || 'internal error' };
}

/** Rebuilds an error that crossed a process boundary as an UnmaskError with the same code. */
export function fromErrorPayload(payload: ErrorPayload): UnmaskError {
  return new UnmaskError(payload.code as UnmaskError['code'], payload.message);
}

/** HTTP status of an error code: caller mistakes are 4xx, our failures 5xx. */
export function httpStatus(code: string): number {
  switch (code) {
    case 'BAD_ARGUMENT':
    case 'DATASET_INVALID':
      return 400;
    case 'UNAUTHORIZED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'CONFLICT':
    case 'CANCELLED':
      return 409;
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    case 'DISK_FULL':
      return 507;
    case 'STORE_READONLY':
    case 'QUEUE_UNAVAILABLE':
    case 'ENGINE_UNAVAILABLE':
    case 'DOWNLOAD_FAILED':
      return 503;
    default:
      return 500;
  }
}
