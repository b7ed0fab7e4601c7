// UnmaskError: the one error type that crosses module, process and transport boundaries as {code, message}.

/** Stable machine-readable error codes; the UI and CLI switch on these, never on message text. */
export type UnmaskErrorCode =
  | 'ENGINE_UNAVAILABLE'
  | 'BAD_ARGUMENT'
  | 'NOT_FOUND'
  /** A path outside the dataset folders the user picked, or a request without the access token. */
  | 'FORBIDDEN'
  | 'DATASET_INVALID'
  | 'CANCELLED'
  /** A file (e.g. pretrained weights) could not be downloaded, or failed its hash check. */
  | 'DOWNLOAD_FAILED'
  | 'STORE_DAMAGED'
  /** The run database or its checkpoint folders cannot be written (read-only folder or file system). */
  | 'STORE_READONLY'
  | 'STORE_TOO_NEW'
  /** A write failed for lack of space (ENOSPC, EDQUOT, SQLITE_FULL); the message names the file or folder. */
  | 'DISK_FULL'
  /** The disk reported an I/O error that is neither a full disk nor a read-only one (EIO, SQLITE_IOERR). */
  | 'IO_ERROR'
  /** The Redis job queue cannot be reached (or refused the password). */
  | 'QUEUE_UNAVAILABLE'
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

/** The first line of an error's message (at most 300 characters): what a one-line report or a skipped file shows. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n')[0] ?? '').slice(0, 300);
}
