"""PyTorch peer for `unmask bench engine`: SimpleNet (the seed's network) training and inference img/s on CPU.

Prints one JSON line: {"train_img_s", "infer_img_s", "threads", "torch"}. Same protocol as the tfjs side:
batch 32, Adam, cross-entropy, random 256x256 images, median of N timed steps after 2 warm-up steps.
"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SimpleNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 7)
        self.conv2 = nn.Conv2d(6, 16, 7)
        self.conv3 = nn.Conv2d(16, 24, 7)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(24 * 26 * 26, 1024)
        self.fc2 = nn.Linear(1024, 256)
        self.fc3 = nn.Linear(256, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = self.pool(F.relu(self.conv3(x)))
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def timed(step, warmup: int, runs: int) -> float:
    for _ in range(warmup):
        step()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = SimpleNet()
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 16_901_762
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    xs = torch.randn(args.batch, 3, 256, 256)
    labels = torch.arange(args.batch) % 2

    def train_step() -> None:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xs), labels)
        loss.backward()
        optimizer.step()
        loss.item()

    def infer_step() -> None:
        with torch.no_grad():
            model(xs).sum().item()

    train = timed(train_step, 2, args.runs)
    model.eval()
    infer = timed(infer_step, 1, args.runs)
    print(json.dumps({
        "train_img_s": args.batch / train,
        "infer_img_s": args.batch / infer,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
