"""PyTorch peer for `unmask bench engine`: the XceptionBased detector (main/models/xception.ts) on CPU.

The same layer shapes as the tfjs model: Keras's Xception (entry flow blocks 1-4, middle flow 5-12, exit flow
13-14; separable 3x3 convolutions, batch norm with eps 1e-3, TF 'same'/'valid' padding), global average pooling
and the MLP head 2048->1000->256->64->2, random weights, 256 px input. Same protocol as the tfjs side:

- forward: the whole detector in inference mode, batch 8, median of N calls after 1 warm-up;
- fine-tuning with the last K blocks trainable (`--unfreeze-blocks K`): the trunk's output at the cut (block
  14-K's output, cached by the app) is the input, the last K blocks and the head train with Adam (lr 1e-4,
  cross-entropy), batch norm in inference mode (the app keeps ImageNet statistics), median of N steps after 2
  warm-ups.

Prints one JSON line: {"xception_infer_img_s", "xception_finetune_img_s", "blocks", "params", "part_params",
"threads", "torch"}.
"""
import argparse
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_simplenet import timed

# CIFAR mean/std the dataset normalisation uses (main/data/transforms.ts); BackboneInput maps them to [-1, 1].
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2023, 0.1994, 0.2010)


def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's 'same' padding: the extra pixel, if any, goes after (right/bottom)."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class TfMaxPool(nn.Module):
    """MaxPooling2D(3, strides=2, padding='same') with TF's asymmetric padding."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom = same_pads(x.shape[2], 3, 2)
        left, right = same_pads(x.shape[3], 3, 2)
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom), value=float("-inf"))
        return F.max_pool2d(x, 3, 2)


def bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=1e-3)


class SepConvBn(nn.Module):
    """SeparableConv2D(3x3, same, no bias) -> BatchNormalization."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn = bn(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.pointwise(self.depthwise(x)))


class EntryBlock(nn.Module):
    """Blocks 2-4 and 13: two sepconvs + max pool, with a 1x1 stride-2 conv + BN shortcut."""

    def __init__(self, cin: int, mid: int, cout: int, relu_first: bool) -> None:
        super().__init__()
        self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=2, bias=False), bn(cout))
        self.relu_first = relu_first
        self.sep1 = SepConvBn(cin, mid)
        self.sep2 = SepConvBn(mid, cout)
        self.pool = TfMaxPool()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = self.shortcut(x)
        if self.relu_first:
            x = F.relu(x)
        x = self.sep2(F.relu(self.sep1(x)))
        return self.pool(x) + residual


class MiddleBlock(nn.Module):
    """Blocks 5-12: three ReLU -> sepconv -> BN, identity shortcut."""

    def __init__(self) -> None:
        super().__init__()
        self.seps = nn.ModuleList(SepConvBn(728, 728) for _ in range(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x
        for sep in self.seps:
            x = sep(F.relu(x))
        return x + residual


class Block14(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.sep1 = SepConvBn(1024, 1536)
        self.sep2 = SepConvBn(1536, 2048)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.sep2(F.relu(self.sep1(x))))


class Block1(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, stride=2, bias=False)
        self.bn1 = bn(32)
        self.conv2 = nn.Conv2d(32, 64, 3, bias=False)
        self.bn2 = bn(64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))


class Head(nn.Module):
    """Global average pool -> 2048->1000->256->64->2 with ReLUs (logits)."""

    def __init__(self) -> None:
        super().__init__()
        self.fcs = nn.ModuleList(nn.Linear(a, b) for a, b in [(2048, 1000), (1000, 256), (256, 64), (64, 2)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.mean(dim=(2, 3))
        for i, fc in enumerate(self.fcs):
            x = fc(x)
            if i < len(self.fcs) - 1:
                x = F.relu(x)
        return x


class XceptionBased(nn.Module):
    """blocks[0] is block 1, ..., blocks[13] block 14; blocks[14] the head. Input [b, 3, 256, 256], CIFAR-normalised."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("scale", torch.tensor([2 * s for s in STD]).view(1, 3, 1, 1))
        self.register_buffer("offset", torch.tensor([2 * m - 1 for m in MEAN]).view(1, 3, 1, 1))
        self.blocks = nn.ModuleList(
            [Block1(), EntryBlock(64, 128, 128, False), EntryBlock(128, 256, 256, True), EntryBlock(256, 728, 728, True)]
            + [MiddleBlock() for _ in range(8)]
            + [EntryBlock(728, 728, 1024, True), Block14(), Head()]
        )

    def forward(self, x: torch.Tensor, start: int = 0) -> torch.Tensor:
        """`start` > 0: x is block `start`'s output (the cached cut) and only the blocks after it run."""
        if start == 0:
            x = x * self.scale + self.offset
        for block in self.blocks[start:]:
            x = block(x)
        return x


def count(params) -> int:
    return sum(p.numel() for p in params if p.requires_grad)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--blocks", type=int, default=2, help="the last K backbone blocks train (--unfreeze-blocks K)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = XceptionBased()
    cut = 14 - args.blocks  # the number of frozen blocks; their last output is the cached cut tensor
    tail = list(model.blocks[cut:])
    # Same count as the tfjs detector (`unmask params -m XceptionBased`); running statistics are buffers.
    assert count(model.parameters()) == 23_128_786, count(model.parameters())

    xs = torch.randn(args.batch, 3, 256, 256)
    model.eval()

    def infer_step() -> None:
        with torch.no_grad():
            model(xs).sum().item()

    infer = timed(infer_step, 1, args.runs)

    with torch.no_grad():
        h = xs * model.scale + model.offset
        for block in model.blocks[:cut]:
            h = block(h)
    cut_tensor = h.contiguous()
    labels = torch.arange(args.batch) % 2
    part_params = [p for block in tail for p in block.parameters()]
    optimizer = torch.optim.Adam(part_params, lr=1e-4)
    # Batch norm stays in inference mode (model.eval()): the app's unfrozen blocks keep their ImageNet statistics.

    def finetune_step() -> None:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(cut_tensor, start=cut), labels)
        loss.backward()
        optimizer.step()
        loss.item()

    finetune = timed(finetune_step, 2, args.runs)
    print(json.dumps({
        "xception_infer_img_s": args.batch / infer,
        "xception_finetune_img_s": args.batch / finetune,
        "blocks": args.blocks,
        "params": count(model.parameters()),
        "part_params": count(part_params),
        "cut_shape": list(cut_tensor.shape[1:]),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
