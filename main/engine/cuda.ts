// What the NVIDIA driver shows of CUDA devices, read from the file system without loading CUDA: whether any GPU can
// be visible to this process, and the name of the one tfjs-node-gpu computes on.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface NvidiaGpu {
  name: string;
  /** PCI bus location, e.g. 0000:1b:00.0: CUDA_DEVICE_ORDER=PCI_BUS_ID numbers the GPUs in this order. */
  busId: string;
  uuid?: string;
}

export interface CudaProbeInputs {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  exists: (file: string) => boolean;
}

const defaultInputs = (): CudaProbeInputs => ({ env: process.env, platform: process.platform, exists: fs.existsSync });

/**
 * Why no CUDA device can be visible to this process, or undefined when one may be. Linux only (elsewhere it cannot
 * tell, and answers undefined): CUDA needs the driver's /dev/nvidiactl (WSL2: /dev/dxg), and CUDA_VISIBLE_DEVICES
 * set to nothing or to -1 hides every GPU.
 */
export function cudaHiddenReason(inputs: CudaProbeInputs = defaultInputs()): string | undefined {
  const visible = inputs.env['CUDA_VISIBLE_DEVICES'];
  if (visible != null && (visible.trim() === '' || visible.trim().startsWith('-1'))) {
    return `CUDA_VISIBLE_DEVICES=${JSON.stringify(visible)} hides every GPU`;
  }
  if (inputs.platform !== 'linux') return undefined;
  if (!inputs.exists('/dev/nvidiactl') && !inputs.exists('/dev/dxg')) return 'no NVIDIA driver device (/dev/nvidiactl) on this machine';
  return undefined;
}

/** `Model:  NVIDIA H200` lines of /proc/driver/nvidia/gpus/<bus>/information, as written by the Linux driver. */
export function parseDriverInformation(text: string, busId: string): NvidiaGpu | undefined {
  const field = (key: string) => text.match(new RegExp(`^${key}:\\s*(.+?)\\s*$`, 'm'))?.[1];
  const name = field('Model');
  if (!name) return undefined;
  const uuid = field('GPU UUID');
  return { name, busId: field('Bus Location') ?? busId, ...(uuid && uuid !== 'N/A' ? { uuid } : {}) };
}

/**
 * The driver's GPUs in PCI bus order: /proc/driver/nvidia/gpus (Linux), else `nvidia-smi`'s list; [] when neither
 * answers.
 */
export function driverGpus(procDir = '/proc/driver/nvidia/gpus', smi: () => string = runNvidiaSmi): NvidiaGpu[] {
  let gpus: NvidiaGpu[] = [];
  try {
    gpus = fs
      .readdirSync(procDir)
      .map((bus) => parseDriverInformation(fs.readFileSync(path.join(procDir, bus, 'information'), 'utf8'), bus))
      .filter((gpu): gpu is NvidiaGpu => gpu != null);
  } catch {
    // no /proc entry (not Linux, or a container without it): ask nvidia-smi
  }
  if (gpus.length === 0) {
    try {
      gpus = smi()
        .split('\n')
        .map((line) => line.split(',').map((cell) => cell.trim()))
        .filter((cells) => cells.length >= 2 && cells[1])
        .map(([busId, name, uuid]) => ({ name: name!, busId: busId!, ...(uuid ? { uuid } : {}) }));
    } catch {
      return [];
    }
  }
  const key = (bus: string) => bus.toLowerCase().replace(/^0000(?=[0-9a-f]{4}:)/, '');
  return gpus.sort((a, b) => key(a.busId).localeCompare(key(b.busId)));
}

function runNvidiaSmi(): string {
  return execFileSync('nvidia-smi', ['--query-gpu=pci.bus_id,name,uuid', '--format=csv,noheader'], { encoding: 'utf8', timeout: 10_000 });
}

/**
 * The GPU tfjs-node-gpu computes on, as "NVIDIA H200 (PCI 0000:1b:00.0)". Its addon keeps the last GPU device that
 * TensorFlow lists (tfjs_backend.cc), TensorFlow lists CUDA's visible devices in CUDA's order, and with
 * CUDA_DEVICE_ORDER=PCI_BUS_ID (selectEngine sets it unless the user chose an order) that is the PCI order of
 * `gpus` filtered by CUDA_VISIBLE_DEVICES (indices or GPU- UUIDs). Where that mapping is unknown (another order,
 * MIG instances), every GPU the driver lists is named instead.
 */
export function describeTfjsGpu(gpus: NvidiaGpu[], env: NodeJS.ProcessEnv): string {
  const label = (gpu: NvidiaGpu) => `${gpu.name} (PCI ${gpu.busId})`;
  if (gpus.length === 0) return 'a CUDA GPU (the NVIDIA driver does not name it: no /proc/driver/nvidia/gpus, no nvidia-smi)';
  const all = `one of: ${gpus.map(label).join(', ')}`;
  if ((env['CUDA_DEVICE_ORDER'] ?? 'PCI_BUS_ID') !== 'PCI_BUS_ID') return all;
  const tokens = env['CUDA_VISIBLE_DEVICES']?.split(',').map((t) => t.trim());
  let visible: (NvidiaGpu | undefined)[] = gpus;
  if (tokens) {
    // CUDA stops at the first token it cannot match.
    visible = [];
    for (const token of tokens) {
      const gpu = /^\d+$/.test(token) ? gpus[Number(token)] : token.startsWith('GPU-') ? gpus.find((g) => g.uuid?.startsWith(token)) : undefined;
      if (!gpu) {
        if (!/^\d+$/.test(token) && !token.startsWith('GPU-')) return all; // MIG-…: not a whole GPU
        break;
      }
      visible.push(gpu);
    }
  }
  const last = visible.at(-1);
  return last ? label(last) : all;
}
