// UnmaskError: the one error type that crosses module, process and transport boundaries as {code, message}.

/** Stable machine-readable error codes; the UI and CLI switch on these, never on message text. */
export type UnmaskErrorCode =
  | 'ENGINE_UNAVAILABLE'
  | 'BAD_ARGUMENT'
  | 'NOT_FOUND'
  | 'DATASET_INVALID'
  | 'CANCELLED'
  /** A file (e.g. pretrained weights) could not be downloaded, or failed its hash check. */
  | 'DOWNLOAD_FAILED'
  | 'STORE_DAMAGED'
  | 'STORE_READONLY'
  | 'STORE_TOO_NEW'
  | 'INTERNAL';

export class UnmaskError extends Error {
  constructor(
    readonly code: UnmaskErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UnmaskError';
  }

  toJSON(): { code: UnmaskErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}
