// An artifact root in an S3-compatible bucket. Every job keeps reading and writing plain paths: each machine works in
// a local mirror folder (its SharedRoot), and `ArtifactSync` copies the files that must cross machines between that
// mirror and the bucket — pushed where a worker finishes writing them, pulled where a worker or the coordinator
// is about to read them. Keys are the mirror's relative paths under the URL's prefix, checked like every shared path.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { UnmaskError } from '../engine/errors.js';
import { SharedRoot } from './roots.js';

/** `s3://BUCKET/PREFIX` taken apart (no leading or trailing slash on the prefix), or null for a folder path. */
export function parseS3Url(value: string): { bucket: string; prefix: string } | null {
  if (!/^s3:\/\//i.test(value)) return null;
  const [bucket = '', ...rest] = value.slice('s3://'.length).split('/');
  const prefix = rest.filter((part) => part !== '').join('/');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new UnmaskError('BAD_ARGUMENT', `'${value}' does not name an S3 bucket: s3://BUCKET/PREFIX`);
  if (prefix.split('/').includes('..')) throw new UnmaskError('BAD_ARGUMENT', `'${value}': the prefix may not contain '..'`);
  return { bucket, prefix };
}

/** Where this machine mirrors a bucket by default: its user cache folder (the mirror only holds copies). */
export function defaultMirror(bucket: string, prefix: string): string {
  const cache =
    process.platform === 'win32'
      ? (process.env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local'))
      : process.platform === 'darwin'
        ? path.join(os.homedir(), 'Library', 'Caches')
        : (process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'));
  return path.join(cache, 'unmask', 'artifacts', bucket, ...prefix.split('/').filter(Boolean));
}

/** Files being written are named `<name>.tmp-<pid>` (checkpoints, journals, published copies): never pushed. */
const isPartial = (rel: string) => rel.split('/').some((part) => part.includes('.tmp-'));

export interface SyncCount {
  /** Files copied, and files left alone because both sides already had the same bytes. */
  copied: number;
  unchanged: number;
}

interface RemoteObject {
  /** Path relative to the artifact root. */
  rel: string;
  size: number;
  /** The object's ETag without quotes: the MD5 of its bytes for an object uploaded in one part, as here. */
  etag: string;
}

/** The AWS SDK's S3 client, loaded only where an S3 artifact root is used (it is large). */
type S3Sdk = typeof import('@aws-sdk/client-s3');

export class ArtifactSync {
  constructor(
    private readonly sdk: S3Sdk,
    private readonly client: S3Client,
    readonly bucket: string,
    /** Key prefix of the artifact root, '' for the bucket's top. */
    readonly prefix: string,
    /** This machine's mirror of the bucket's prefix. */
    readonly mirror: SharedRoot,
  ) {}

  /**
   * The sync of `s3://BUCKET/PREFIX` through the mirror folder `cache` (created; default UNMASK_ARTIFACTS_CACHE,
   * else `defaultMirror`). With an `endpoint` (default AWS_ENDPOINT_URL: an S3-compatible store such as MinIO,
   * Ceph or moto) requests use path-style addressing; credentials and region come from the AWS SDK's default
   * chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, …; region us-east-1 when none is set).
   */
  static async open(url: string, options: { cache?: string | null; endpoint?: string | null } = {}): Promise<ArtifactSync> {
    const parsed = parseS3Url(url);
    if (!parsed) throw new UnmaskError('BAD_ARGUMENT', `'${url}' is not an s3://BUCKET/PREFIX URL`);
    const dir = path.resolve(options.cache ?? process.env.UNMASK_ARTIFACTS_CACHE ?? defaultMirror(parsed.bucket, parsed.prefix));
    const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL;
    fs.mkdirSync(dir, { recursive: true });
    // The version is pinned: the SDK's notice about the Node versions of its later releases is noise in a worker's log.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const sdk = await import('@aws-sdk/client-s3');
    const client = new sdk.S3Client({
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      // Checksums only where S3 requires them: several S3-compatible stores reject the newer default ones.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return new ArtifactSync(sdk, client, parsed.bucket, parsed.prefix, new SharedRoot(dir, 'artifact root'));
  }

  /** `s3://bucket/prefix`, for messages. */
  get url(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  /**
   * Downloads the objects at or under `rel` (a file or a folder of the artifact root) that the mirror lacks or
   * holds different bytes of. FORBIDDEN, before anything is written, for a key that would land outside the mirror.
   */
  async pull(rel: string): Promise<SyncCount> {
    const remote = await this.list(rel);
    const targets = remote.map((o) => ({ ...o, file: this.mirror.resolve(o.rel) }));
    const count: SyncCount = { copied: 0, unchanged: 0 };
    for (const o of targets) {
      if (sameBytes(o.file, o.size, o.etag)) {
        count.unchanged++;
        continue;
      }
      const { Body } = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.key(o.rel) }));
      if (!(Body instanceof Readable)) throw new UnmaskError('INTERNAL', `${this.url}: no body for ${o.rel}`);
      fs.mkdirSync(path.dirname(o.file), { recursive: true });
      // Written beside and renamed, so a reader never sees half a file.
      const tmp = `${o.file}.tmp-${process.pid}`;
      await pipeline(Body, fs.createWriteStream(tmp));
      fs.renameSync(tmp, o.file);
      count.copied++;
    }
    return count;
  }

  /**
   * Uploads the mirror's files at or under `rel` that the bucket lacks or holds different bytes of. Files still
   * being written (`.tmp-` names) are left out, and a file removed meanwhile (a pruned checkpoint) is skipped.
   */
  async push(rel: string): Promise<SyncCount> {
    const root = this.mirror.resolve(rel);
    const remote = new Map((await this.list(rel)).map((o) => [o.rel, o]));
    const count: SyncCount = { copied: 0, unchanged: 0 };
    for (const file of listFiles(root)) {
      const fileRel = this.mirror.relative(file);
      if (isPartial(fileRel)) continue;
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const known = remote.get(fileRel);
      if (known && known.size === bytes.length && known.etag === md5(bytes)) {
        count.unchanged++;
        continue;
      }
      await this.client.send(new this.sdk.PutObjectCommand({ Bucket: this.bucket, Key: this.key(fileRel), Body: bytes }));
      count.copied++;
    }
    return count;
  }

  /** Pulls several paths, one after another. */
  async pullAll(rels: Iterable<string>): Promise<void> {
    for (const rel of new Set(rels)) await this.pull(rel);
  }

  /** Pushes several paths, one after another. */
  async pushAll(rels: Iterable<string>): Promise<void> {
    for (const rel of new Set(rels)) await this.push(rel);
  }

  close(): void {
    this.client.destroy();
  }

  private key(rel: string): string {
    return this.prefix ? `${this.prefix}/${rel}` : rel;
  }

  /** The objects at `rel` or under `rel/` (not `relX`), their paths checked as every path from another machine. */
  private async list(rel: string): Promise<RemoteObject[]> {
    this.mirror.join(rel);
    const base = this.prefix ? `${this.prefix}/` : '';
    const objects: RemoteObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new this.sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.key(rel), ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const objectRel = o.Key!.slice(base.length);
        if (objectRel.endsWith('/') || (objectRel !== rel && !objectRel.startsWith(`${rel}/`))) continue; // folder markers, siblings
        this.mirror.join(objectRel);
        objects.push({ rel: objectRel, size: o.Size ?? 0, etag: (o.ETag ?? '').replaceAll('"', '') });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

function sameBytes(file: string, size: number, etag: string): boolean {
  try {
    return fs.statSync(file).size === size && md5(fs.readFileSync(file)) === etag;
  } catch {
    return false;
  }
}

/** Every plain file at or under `at` (nothing when it does not exist). */
function listFiles(at: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(at);
  } catch {
    return [];
  }
  if (stat.isFile()) return [at];
  if (!stat.isDirectory()) return [];
  return fs
    .readdirSync(at, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}
