// Landmarks of each image's largest face, found once and kept on disk by the decoded pixels' hash.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { defaultDbPath } from '../store/paths.js';
import { largestFace, loadFaceDetector, type Face, type FaceDetector } from './faces.js';
import { IMAGE_SIZE } from './types.js';

/** Where found faces are kept: `face-cache` beside the run database (so tests with their own UNMASK_DB keep theirs apart). */
export function faceCacheDir(dbPath: string = defaultDbPath()): string {
  return path.join(path.dirname(dbPath), 'face-cache');
}

/** What is kept per image: the largest face, or null when the detector found none. */
type Entry = Pick<Face, 'score' | 'box' | 'landmarks'> | null;

/**
 * The largest face of decoded 256 px images (RGB bytes [256, 256, 3]), from the face detector, cached in memory
 * and, with a folder, on disk (`<dir>/<detector version>/<sha256 of the pixels>.json`, written atomically), so a
 * dataset's faces are found once whichever run, score or explanation asks first. Images without a face are
 * remembered too and counted in `faceless`.
 */
export class FaceFinder {
  private readonly memory = new Map<string, Entry>();
  private detector: Promise<FaceDetector> | null = null;
  /** Images looked at and images where no face was found, since this finder was made. */
  looked = 0;
  faceless = 0;

  constructor(
    readonly dir: string | null,
    private readonly load: () => Promise<FaceDetector> = loadFaceDetector,
  ) {}

  /** The 68 landmarks [x0, y0, …] of the largest face, or null. */
  async landmarks(rgb: Uint8Array): Promise<number[] | null> {
    return (await this.face(rgb))?.landmarks ?? null;
  }

  async face(rgb: Uint8Array): Promise<Entry> {
    const key = createHash('sha256').update(rgb).digest('hex');
    this.looked++;
    let entry = this.memory.get(key);
    if (entry === undefined) {
      const detector = await (this.detector ??= this.load());
      const file = this.dir ? path.join(this.dir, detector.version.replace(/[^\w.@-]+/g, '_'), `${key}.json`) : null;
      entry = file ? readEntry(file) : undefined;
      if (entry === undefined) {
        entry = pick(largestFace(await detector.detect(rgb, IMAGE_SIZE, IMAGE_SIZE)));
        if (file) writeEntry(file, entry);
      }
      this.memory.set(key, entry);
    }
    if (entry === null) this.faceless++;
    return entry;
  }
}

const pick = (f: Face | null): Entry => (f ? { score: f.score, box: f.box, landmarks: f.landmarks } : null);

function readEntry(file: string): Entry | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { face: Entry };
    const face = parsed.face;
    if (face === null || (Array.isArray(face?.landmarks) && face.landmarks.length === 136)) return face;
  } catch {
    // Missing or unreadable: found again.
  }
  return undefined;
}

function writeEntry(file: string, face: Entry): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify({ face }));
    fs.renameSync(tmp, file);
  } catch {
    // A cache that cannot be written (read-only or full disk) only costs a second detection later.
  }
}
