"""Command line: ``python -m sign_pipeline "문장" -o out.mp4``.

Writes the side-by-side video (skeleton with the current gloss as a subtitle, signer beside
it) to ``-o`` (an ``.mp4``; without ``-o``, to a new temporary folder, printed);
``--keypoints out.pose`` (or a folder for OpenPose JSON frames) writes the keypoints.
Nothing it did not write is overwritten: a ``--keypoints`` folder must be new, empty, or
hold only the ``sign_*_keypoints.json`` frames of an earlier run (those are replaced).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

from . import registry

#: The OpenPose frames this command writes into a ``--keypoints`` folder.
FRAME_NAME = re.compile(r"sign_\d{12}_keypoints\.json")


def keypoints_folder_problem(folder: Path) -> str | None:
    """Why ``--keypoints FOLDER`` cannot take the frames (None when it can): a file of that
    name, or a folder holding anything but this command's own frames."""
    if folder.exists() and not folder.is_dir():
        return f"--keypoints {folder}: a file, not a folder (give FILE.pose or a folder)"
    if folder.is_dir():
        others = sorted(p.name for p in folder.iterdir() if not FRAME_NAME.fullmatch(p.name))
        if others:
            shown = ", ".join(others[:3]) + (" ..." if len(others) > 3 else "")
            return (f"--keypoints {folder}: the folder holds files this command did not write "
                    f"({shown}); give a new or empty folder (nothing was deleted)")
    return None


def write_keypoint_frames(frames: list[Path], folder: Path) -> None:
    """Put the frames in ``folder``, replacing only an earlier run's frames."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if FRAME_NAME.fullmatch(old.name) and old.is_file():
            old.unlink()
    for frame in frames:
        shutil.copyfile(frame, folder / frame.name)


def _list(pipe) -> None:
    print(f"checkpoints: {pipe.checkpoints}")
    about = pipe.about()
    print(f"data ({pipe.default_text2pose}): {about['trained_on']}")
    for stage, title in (("text2pose", "text-to-pose"), ("pose2video", "pose-to-video")):
        print(f"{title} backends:")
        for name in registry.names(stage):
            bi = registry.info(stage, name, pipe.checkpoints)
            state = "installed  " if bi.installed else "unavailable"
            label = registry.label(stage, name)
            shown = label if label == name else f"{label} ({name})"
            print(f"  {shown:25s} {state}  {bi.description if bi.installed else bi.reason}")
    print(f"taught signs: {len(pipe.signs)} in {pipe.signs.folder}")
    print(f"signers ({pipe.default_text2pose} + {pipe.default_pose2video}):")
    for _, label in pipe.signers():
        print(f"  {label}")


def main(argv: list[str] | None = None) -> int:
    from .pipeline import PipelineError, SignPipeline

    ap = argparse.ArgumentParser(prog="python -m sign_pipeline", description=__doc__.split("\n")[0])
    ap.add_argument("text", nargs="?", help="Korean sentence")
    ap.add_argument(
        "-o",
        "--output",
        default=None,
        help="side-by-side mp4 to write (default: a new file in the temporary folder, printed)",
    )
    ap.add_argument("--text2pose", default="lexicon",
                    help="lexicon, Transformer or Tacotron (see --list)")
    ap.add_argument("--pose2video", default="avatar", help="avatar, EDN or StyleGAN2 (see --list)")
    ap.add_argument(
        "--signer",
        default=None,
        help="signer id, e.g. 2 or REAL02 (default: the first the backends know; see --list)",
    )
    ap.add_argument("--speed", type=float, default=1.0, help="signing speed, 1 = normal")
    ap.add_argument(
        "--keypoints", help="also write keypoints: FILE.pose, or a folder for OpenPose JSON"
    )
    ap.add_argument("--list", action="store_true", help="list backends and signers")
    ap.add_argument("--signs", default=None,
                    help="folder of taught signs (default: $KSL_SIGNS or your user data folder)")
    ap.add_argument("--taught-only", action="store_true",
                    help="sign only taught signs; other glosses are shown as captions and listed")
    ap.add_argument(
        "--checkpoints",
        default=None,
        help="checkpoint folder (default: $KSL_CHECKPOINTS or the shipped checkpoints/)",
    )
    args = ap.parse_args(argv)

    try:
        pipe = SignPipeline(args.text2pose, args.pose2video, checkpoints=args.checkpoints,
                            signs=args.signs)  # fmt: skip
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.list:
        try:
            _list(pipe)
        except PipelineError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.text is None:
        ap.error("give a sentence (or --list)")
    if args.output is None:
        out = Path(tempfile.mkdtemp(prefix="ksl_sign_")) / "sign.mp4"
    elif Path(args.output).suffix.lower() != ".mp4":
        ap.error(f"-o {args.output}: the video is written as H.264 mp4; name it *.mp4")
    else:
        out = Path(args.output)
    if out.is_dir():
        ap.error(f"-o {out}: a folder; name the video file (*.mp4)")
    if args.keypoints and Path(args.keypoints).suffix and Path(args.keypoints).suffix != ".pose":
        ap.error(f"--keypoints {args.keypoints}: give FILE.pose or a folder for OpenPose JSON")
    if args.keypoints and Path(args.keypoints).suffix != ".pose":
        problem = keypoints_folder_problem(Path(args.keypoints))
        if problem:
            ap.error(problem)
    elif args.keypoints and Path(args.keypoints).is_dir():
        ap.error(f"--keypoints {args.keypoints}: a folder; name the file (*.pose)")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            res = pipe.run(
                args.text, signer=args.signer, speed=args.speed, out_dir=Path(tmp), stem="sign",
                files="video", taught_only=args.taught_only,
            )  # fmt: skip
        except PipelineError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(res.files["video"], out)
        if args.keypoints:
            res.files.update(pipe.write_keypoint_files(res, Path(tmp), "sign"))
            kp = Path(args.keypoints)
            if kp.suffix == ".pose":
                shutil.copyfile(res.files["pose"], kp)
            else:
                write_keypoint_frames(sorted((Path(tmp) / "sign_openpose").iterdir()), kp)
    g = res.gloss
    print("glosses:", " ".join(g.glosses) + (" ?" if g.question else ""))
    print("coverage:", ", ".join(f"{k} {v}" for k, v in g.coverage.items()))
    if g.skipped:
        print("skipped:", ", ".join(s.text if hasattr(s, "text") else str(s) for s in g.skipped))
    if res.pose.extras.get("taught"):
        print("taught signs:", " ".join(res.pose.extras["taught"]))
    if res.pose.extras.get("not_signed"):
        print("not taught (shown as text):", " ".join(res.pose.extras["not_signed"]))
    print(f"frames: {res.n_frames} ({res.duration_s:.2f} s at {res.fps:g} fps) -> {out}")
    print("timings:", ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in res.timings.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
