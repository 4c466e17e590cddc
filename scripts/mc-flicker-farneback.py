#!/usr/bin/env python3
"""Motion-compensated flicker of SR frame folders, measured independently of viVID's kernels.

The measure of `vivid eval` (src/eval/temporal.ts), but with OpenCV's Farneback flow instead of
our Lucas-Kanade, and OpenCV's bilinear remap instead of our warp: a cross-check that a lower
mc-flicker is not an artefact of our own flow. Y = BT.601 luma (0..255) of the 8-bit frames;
per frame pair, mean |(SR_t - warp(SR_t-1)) - (GT_t - warp(GT_t-1))| over the pixels whose GT
flow passes a forward-backward check, a 4-pixel border left out; the mean over frame pairs.
`steady floor` is what an output perfectly steady along the GT flow reads (SR_t - warp(SR_t-1)
= 0): the GT term alone.

  apt-get install python3-opencv
  python3 scripts/mc-flicker-farneback.py GT_DIR SR_DIR [SR_DIR ...]

Frames are paired by sorted file name; every folder must hold the same number of PNG frames.
"""
import glob
import os
import sys

import cv2
import numpy as np

SHAVE = 4


def luma(path):
    rgb = cv2.imread(path, cv2.IMREAD_COLOR)[:, :, ::-1].astype(np.float64) / 255
    return (16 + 65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]).astype(np.float32)


def frames(folder):
    paths = sorted(glob.glob(os.path.join(folder, '*.png')))
    if not paths:
        sys.exit(f'{folder}: no PNG frames')
    return [luma(p) for p in paths]


def flow(a, b):
    """Farneback flow with OpenCV's usual settings: a(x) ~ b(x + flow(x))."""
    return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)


def warp(img, f):
    h, w = img.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, gx + f[..., 0], gy + f[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def consistent(back, fwd):
    """Sundaram et al. 2010, as in src/eval/temporal.ts."""
    f = warp(fwd, back)
    ok = ((back + f) ** 2).sum(-1) < 0.01 * ((back ** 2).sum(-1) + (f ** 2).sum(-1)) + 0.5
    ok[:SHAVE], ok[-SHAVE:], ok[:, :SHAVE], ok[:, -SHAVE:] = False, False, False, False
    return ok


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    gt = frames(sys.argv[1])
    pairs = []
    for t in range(1, len(gt)):
        back = flow(gt[t], gt[t - 1])
        pairs.append((back, consistent(back, flow(gt[t - 1], gt[t]))))
    gt_term = [gt[t] - warp(gt[t - 1], pairs[t - 1][0]) for t in range(1, len(gt))]
    print(f'steady floor: {np.mean([np.abs(g)[ok].mean() for g, (_, ok) in zip(gt_term, pairs)]):.3f}')
    for folder in sys.argv[2:]:
        sr = frames(folder)
        if len(sr) != len(gt):
            sys.exit(f'{folder}: {len(sr)} frames, GT has {len(gt)}')
        per_pair = [np.abs(sr[t] - warp(sr[t - 1], back) - gt_term[t - 1])[ok].mean() for t, (back, ok) in enumerate(pairs, start=1)]
        print(f'{folder}: mc-flicker {np.mean(per_pair):.3f}')


if __name__ == '__main__':
    main()
