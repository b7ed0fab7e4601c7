// ApiError: an error from the main side rebuilt in the renderer, with the UnmaskError code it crossed with.
import type { ErrorPayload } from '../../main/api/contract';

/** A failed API call; `code` is the main side's UnmaskError code (or NETWORK / HTTP_<status> from the transport). */
export class ApiError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }

  static from(payload: ErrorPayload): ApiError {
    return new ApiError(payload.code, payload.message);
  }
}

/** Any thrown value as an ApiError, so banners always have a code and a message. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof Error) return new ApiError('CLIENT', error.message);
  return new ApiError('CLIENT', String(error));
}

/** True for a `{code, message}` object as the transports send errors. */
export function isErrorPayload(value: unknown): value is ErrorPayload {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>).code === 'string' &&
    typeof (value as Record<string, unknown>).message === 'string'
  );
}
