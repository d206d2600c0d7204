"""Measure again where each signer of an EDN or StyleGAN2 checkpoint stands in its frames.

    python -m training.place_signers CHECKPOINT [--pairs FOLDER] [--dry-run]

A GAN checkpoint draws a signer's stick figure at the placement (neck point and shoulder
width, in pixels) its training run measured on the frames it learned from. Runs before
2026-12-05 measured the shoulders' midpoint instead of the neck point, so their signers
are drawn 1-4 px too low (faces and hands then miss the places the model learned). This
command measures the placements again with :func:`gan.placement_of` on the run's frame
triples (``CHECKPOINT/pairs``, where a ``--videos`` run leaves them, or ``--pairs``) and
rewrites ``config.json``; the first original is kept as ``config.before-placement.json``.
The weights are not touched.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from training import cli
from training.train_pose2video import Pairs, signer_placements

#: Where the first original ``config.json`` is kept.
BACKUP = "config.before-placement.json"

#: Shoulder widths further apart than this share belong to other frames than the run's.
WIDTH_TOLERANCE = 0.02


def moved(before: list[float], after: list[float]) -> bool:
    """Whether a placement changed by more than 0.05 px in any of its three values."""
    return max(abs(a - b) for a, b in zip(before, after)) > 0.05


def place_signers(checkpoint: Path, pairs: Path | None = None, dry_run: bool = False) -> dict:
    """Measure the placements of ``checkpoint``'s signers on ``pairs`` (default
    ``checkpoint/pairs``) and write them into its ``config.json`` (not with ``dry_run``).
    Nothing is written when no placement moves. Returns {signer: (old, new)} of the
    signers measured."""
    cli.check_checkpoint(checkpoint, "CHECKPOINT")
    config_path = checkpoint / "config.json"
    config = json.loads(config_path.read_text("utf-8"))
    old = config.get("placements")
    if not isinstance(old, dict) or not old:
        raise cli.UsageError(f"{checkpoint}: no signer placements in config.json (placements "
                             "belong to the EDN and StyleGAN2 checkpoints)")  # fmt: skip
    for s, value in old.items():
        if not (isinstance(value, list) and len(value) == 3
                and all(isinstance(v, (int, float)) for v in value) and value[2] > 0):  # fmt: skip
            raise cli.UsageError(f"{config_path}: signer {s}'s placement {value!r} is not "
                                 "[neck x, neck y, shoulder width > 0]")  # fmt: skip
    folder = Path(pairs) if pairs is not None else checkpoint / "pairs"
    if not (folder / "pairs.npz").is_file():
        raise cli.UsageError(f"{folder}: no frame triples (pairs.npz); give the training run's "
                             "pairs folder with --pairs")  # fmt: skip
    measured = signer_placements(Pairs(folder))
    found = {s: (old[s], measured[s]) for s in old if s in measured}
    if not found:
        raise cli.UsageError(f"{folder}: holds signers {sorted(measured, key=int)}, the "
                             f"checkpoint {sorted(old, key=int)}: none in common")  # fmt: skip
    for s, (before, after) in found.items():
        if abs(after[2] / before[2] - 1) > WIDTH_TOLERANCE:
            raise cli.UsageError(
                f"{folder}: signer {s}'s shoulders are {after[2]:.1f} px wide there, "
                f"{before[2]:.1f} px in the checkpoint: not the frames it was trained on"
            )
    if any(moved(*pair) for pair in found.values()) and not dry_run:
        backup = checkpoint / BACKUP
        if not backup.exists():
            shutil.copy2(config_path, backup)
        config["placements"] = {**old, **{s: new for s, (_, new) in found.items()}}
        config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", "utf-8")
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.place_signers",
                                 description=__doc__.split("\n\n")[0])  # fmt: skip
    ap.add_argument("checkpoint", help="an EDN or StyleGAN2 checkpoint folder")
    ap.add_argument("--pairs", help="the run's frame triples (default CHECKPOINT/pairs)")
    ap.add_argument("--dry-run", action="store_true", help="print the change, write nothing")

    args = ap.parse_args(argv)
    try:
        found = place_signers(Path(args.checkpoint), args.pairs, args.dry_run)
    except (cli.UsageError, ValueError, OSError) as exc:  # ValueError: a corrupt file
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("signer   neck x, y (px)              shoulder width (px)   moved (px)")
    for s, (before, after) in sorted(found.items(), key=lambda item: int(item[0])):
        print(
            f"{s:>6}   {before[0]:6.1f},{before[1]:6.1f} -> {after[0]:6.1f},{after[1]:6.1f}"
            f"   {before[2]:6.1f} -> {after[2]:6.1f}"
            f"   {after[0] - before[0]:+.1f}, {after[1] - before[1]:+.1f}"
        )
    if args.dry_run:
        print("dry run: nothing written")
    elif not any(moved(*pair) for pair in found.values()):
        print("every placement already measured so: nothing written")
    else:
        print(f"written: {Path(args.checkpoint) / 'config.json'} (the first original: {BACKUP})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
