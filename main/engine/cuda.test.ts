// The NVIDIA driver probes behind the gpu engine: hidden-device reasons, the driver's GPU list, the GPU tfjs uses.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cudaHiddenReason, describeTfjsGpu, driverGpus, parseDriverInformation, type NvidiaGpu } from './cuda.js';

const linux = (files: string[], env: NodeJS.ProcessEnv = {}) => ({ env, platform: 'linux' as const, exists: (f: string) => files.includes(f) });

// The layout of /proc/driver/nvidia/gpus/<bus>/information as the Linux driver writes it (tabs and all).
const INFORMATION = (model: string, bus: string, uuid: string) =>
  `Model: \t\t ${model}\nIRQ:   \t\t 150\nGPU UUID: \t ${uuid}\nVideo BIOS: \t 96.00.99.00.01\nBus Type: \t PCIe\n` +
  `DMA Size: \t 52 bits\nDMA Mask: \t 0xfffffffffffff\nBus Location: \t ${bus}\nDevice Minor: \t 0\nGPU Excluded:\t No\n`;

describe('cudaHiddenReason', () => {
  it('no /dev/nvidiactl (nor WSL2 /dev/dxg) on Linux: no CUDA device can be visible', () => {
    assert.match(cudaHiddenReason(linux([]))!, /no NVIDIA driver device \(\/dev\/nvidiactl\)/);
    assert.equal(cudaHiddenReason(linux(['/dev/nvidiactl'])), undefined);
    assert.equal(cudaHiddenReason(linux(['/dev/dxg'])), undefined);
  });

  it('CUDA_VISIBLE_DEVICES empty or -1 hides every GPU, on any platform', () => {
    for (const value of ['', ' ', '-1', '-1,0']) {
      assert.match(cudaHiddenReason(linux(['/dev/nvidiactl'], { CUDA_VISIBLE_DEVICES: value }))!, /CUDA_VISIBLE_DEVICES=.* hides every GPU/);
    }
    assert.equal(cudaHiddenReason(linux(['/dev/nvidiactl'], { CUDA_VISIBLE_DEVICES: '1' })), undefined);
    assert.match(cudaHiddenReason({ env: { CUDA_VISIBLE_DEVICES: '-1' }, platform: 'win32', exists: () => false })!, /hides/);
  });

  it('elsewhere than Linux it cannot tell, so it does not refuse', () => {
    assert.equal(cudaHiddenReason({ env: {}, platform: 'win32', exists: () => false }), undefined);
  });
});

describe('driverGpus', () => {
  it("reads the Linux driver's /proc entries, in PCI bus order", () => {
    const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'unmask-nvidia-'));
    try {
      for (const [bus, model, uuid] of [
        ['0000:9a:00.0', 'NVIDIA H200', 'GPU-bbbb'],
        ['0000:1b:00.0', 'NVIDIA A100-SXM4-80GB', 'GPU-aaaa'],
      ]) {
        fs.mkdirSync(path.join(proc, bus!));
        fs.writeFileSync(path.join(proc, bus!, 'information'), INFORMATION(model!, bus!, uuid!));
      }
      const smi = () => assert.fail('nvidia-smi is only asked when /proc has nothing');
      assert.deepEqual(driverGpus(proc, smi), [
        { name: 'NVIDIA A100-SXM4-80GB', busId: '0000:1b:00.0', uuid: 'GPU-aaaa' },
        { name: 'NVIDIA H200', busId: '0000:9a:00.0', uuid: 'GPU-bbbb' },
      ]);
    } finally {
      fs.rmSync(proc, { recursive: true, force: true });
    }
  });

  it("falls back to nvidia-smi's CSV, and to [] when there is neither", () => {
    const missing = path.join(os.tmpdir(), 'unmask-no-such-dir');
    const csv = '00000000:9A:00.0, NVIDIA H200, GPU-bbbb\n00000000:1B:00.0, NVIDIA H200, GPU-aaaa\n';
    assert.deepEqual(
      driverGpus(missing, () => csv).map((g) => g.uuid),
      ['GPU-aaaa', 'GPU-bbbb'],
    );
    assert.deepEqual(
      driverGpus(missing, () => {
        throw new Error('nvidia-smi: not found');
      }),
      [],
    );
  });

  it('a /proc entry without a Model line is left out', () => {
    assert.equal(parseDriverInformation('IRQ: 150\n', '0000:01:00.0'), undefined);
    assert.deepEqual(parseDriverInformation(INFORMATION('Tesla T4', '0000:01:00.0', 'N/A'), 'x'), { name: 'Tesla T4', busId: '0000:01:00.0' });
  });
});

describe('describeTfjsGpu', () => {
  const gpus: NvidiaGpu[] = [
    { name: 'NVIDIA A100', busId: '0000:1b:00.0', uuid: 'GPU-aaaa-1111' },
    { name: 'NVIDIA H200', busId: '0000:9a:00.0', uuid: 'GPU-bbbb-2222' },
  ];

  it('tfjs-node-gpu computes on the last visible GPU in PCI order', () => {
    assert.equal(describeTfjsGpu(gpus, { CUDA_DEVICE_ORDER: 'PCI_BUS_ID' }), 'NVIDIA H200 (PCI 0000:9a:00.0)');
    assert.equal(describeTfjsGpu(gpus, { CUDA_VISIBLE_DEVICES: '0' }), 'NVIDIA A100 (PCI 0000:1b:00.0)');
    assert.equal(describeTfjsGpu(gpus, { CUDA_VISIBLE_DEVICES: '1,0' }), 'NVIDIA A100 (PCI 0000:1b:00.0)');
    assert.equal(describeTfjsGpu(gpus, { CUDA_VISIBLE_DEVICES: 'GPU-aaaa' }), 'NVIDIA A100 (PCI 0000:1b:00.0)');
    assert.equal(describeTfjsGpu(gpus, { CUDA_VISIBLE_DEVICES: '0,7,1' }), 'NVIDIA A100 (PCI 0000:1b:00.0)', 'CUDA stops at an unknown index');
  });

  it('names every GPU where the mapping is unknown (another order, MIG), and says when the driver names none', () => {
    const all = 'one of: NVIDIA A100 (PCI 0000:1b:00.0), NVIDIA H200 (PCI 0000:9a:00.0)';
    assert.equal(describeTfjsGpu(gpus, { CUDA_DEVICE_ORDER: 'FASTEST_FIRST' }), all);
    assert.equal(describeTfjsGpu(gpus, { CUDA_VISIBLE_DEVICES: 'MIG-1234' }), all);
    assert.match(describeTfjsGpu([], {}), /does not name it/);
  });
});
