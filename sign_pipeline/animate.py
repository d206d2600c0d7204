"""Animate any keypoints or recording as one of our signers: skeleton | signer as one mp4.

    python -m sign_pipeline.animate INPUT --pose2video EDN --signer 2 -o out.mp4

INPUT is a ``.pose`` file, a folder of OpenPose JSON frames (AI Hub or our own export), a
``.skels`` file (``--line K``) or a video (through the MediaPipe extraction: the recorded
person re-signed by our signer, their face not shown). The motion keeps the file's own frame
rate and is retargeted to the chosen signer's proportions (missing points come from the
signer's rest pose; see :mod:`sign_pipeline.signs.retarget`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from . import registry, render
from . import signers as signer_ids
from . import skeleton as sk
from .formats import FormatError
from .pipeline import PipelineError, SignPipeline, SignResult
from .signs.retarget import fit_clip
from .signs.teach import TeachError, read_source
from .text2pose.base import PoseOutput


def read_input(path: str | Path, line: int | None = None, fps: float = 30.0) -> sk.PoseSequence:
    """Keypoints (any units) of a video, ``.pose``, OpenPose folder or ``.skels`` line."""
    path = Path(path)
    if path.suffix.lower() == ".skels":
        from .formats.skels import read_skels, skels_keypoints

        if line is None:
            raise PipelineError(f"{path.name}: a .skels file holds many sequences; give --line K")
        try:
            seqs = read_skels(path)
            if not 1 <= line <= len(seqs):
                raise PipelineError(f"--line {line}: {path.name} has lines 1..{len(seqs)}")
            kp, mask, _units = skels_keypoints(seqs[line - 1])
        except FormatError as exc:
            raise PipelineError(str(exc)) from None
        return sk.PoseSequence(kp, mask, fps=fps, meta={"source": f"{path.name}:{line}"})
    try:
        return read_source(path, fps)
    except TeachError as exc:
        raise PipelineError(str(exc)) from None


def signer_rest(pipe: SignPipeline, signer: int) -> np.ndarray:
    """The signer at rest in the body proportions the pose-to-video models were trained on
    (the lexicon's rest pose of that signer; the neutral pose for an id it lacks)."""
    try:
        lexicon = pipe.backend("text2pose", "lexicon")
        if signer in lexicon.rest:
            return np.asarray(lexicon.rest[signer], np.float32)
    except PipelineError:
        pass
    from .pose2video.appearances import get_appearance
    from .pose2video.placement import fit_bones

    rest = sk.neutral_pose()[None]
    return fit_bones(rest, np.ones(rest.shape[:2], bool), get_appearance(signer))[0]


def animate(
    seq: sk.PoseSequence, pipe: SignPipeline, pose2video: str, signer: object, name: str = ""
) -> SignResult:
    """``seq`` (any pixel space) retargeted to ``signer`` and drawn by ``pose2video``."""
    p2v = pipe.backend("pose2video", pose2video)
    signer = signer_ids.check(signer if signer is not None else 1, p2v.signers())
    try:
        kp, _norm = sk.normalize(seq.keypoints, seq.mask)
    except ValueError:
        raise PipelineError(f"no person found in {name or 'the input'}: the neck and shoulders "
                            "are never detected") from None  # fmt: skip
    kp = fit_clip(kp, seq.mask, seq.fps, signer_rest(pipe, signer), seq.fps)
    mask = np.ones(kp.shape[:2], bool)
    res = SignResult(text=name, signer=signer, text2pose="(keypoints)", pose2video=p2v.name)
    res.pose, res.fps = PoseOutput(kp, mask, seq.fps), seq.fps
    res.skeleton_frames = render.add_captions(
        render.draw_skeleton(kp, mask, signer=signer), [name] * len(kp))
    label = signer_ids.label(signer, p2v.describe_signer(signer))
    frames = p2v.draw(kp, mask, signer=signer)
    res.signer_frames = render.add_captions(frames, [label] * len(frames))
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sign_pipeline.animate",
                                 description=__doc__.split("\n")[0])  # fmt: skip
    ap.add_argument("input", help="video, .pose file, OpenPose JSON folder or .skels file")
    ap.add_argument("--pose2video", default="avatar", help="avatar, EDN or StyleGAN2")
    ap.add_argument("--signer", default="1", help="signer id (see python -m sign_pipeline --list)")
    ap.add_argument("-o", "--output", required=True, help="side-by-side mp4 to write")
    ap.add_argument("--keypoints", help="also write the retargeted keypoints as FILE.pose")
    ap.add_argument("--line", type=int, help="which sequence of a .skels file (1-based)")
    ap.add_argument("--fps", type=float, default=30.0,
                    help="frame rate of an OpenPose folder or .skels file (others carry theirs)")
    ap.add_argument("--checkpoints", default=None, help="checkpoint folder")
    args = ap.parse_args(argv)
    out = Path(args.output)
    if out.suffix.lower() != ".mp4":
        ap.error(f"-o {out}: the video is written as H.264 mp4; name it *.mp4")
    if args.keypoints and Path(args.keypoints).suffix.lower() != ".pose":
        ap.error(f"--keypoints {args.keypoints}: give FILE.pose")
    try:
        pipe = SignPipeline("lexicon", registry.resolve("pose2video", args.pose2video),
                            checkpoints=args.checkpoints)  # fmt: skip
        seq = read_input(args.input, args.line, args.fps)
        res = animate(seq, pipe, args.pose2video, args.signer, Path(args.input).name)
    except (PipelineError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        video = pipe.write_side_by_side(res, Path(tmp), "animate")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(video.read_bytes())
    if args.keypoints:
        from .formats.pose import write_pose

        write_pose(pipe.pixel_sequence(res), args.keypoints)
    print(f"{res.n_frames} frames ({res.duration_s:.2f} s at {res.fps:g} fps), signer "
          f"{res.signer}, {registry.label('pose2video', res.pose2video)} -> {out}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
