"""Render a list of announcements ahead of time: mp4 + keypoints + a manifest per sentence.

    python -m sign_pipeline.batch announcements.txt --out rendered/
    python -m sign_pipeline.batch announcements.csv --out rendered/ --processes 2 --shard 1/4

The list is a text file (one sentence a line; blank lines and lines starting with # are
skipped) or a CSV with a ``text`` column and optional ``text2pose``, ``pose2video``,
``signer``, ``speed`` columns (the flags give the defaults). Each sentence becomes
``ID.mp4`` (skeleton | signer), ``ID.pose``, ``ID_openpose.zip``, ``ID_gloss.json`` and, last,
``ID.json`` (what was rendered, or why it failed); ``manifest.jsonl`` lists every finished
item. A run again skips what is done (same sentence and settings), so an interrupted run
resumes. ``--shard K/N`` renders every N-th item starting at the K-th, so N machines (a Slurm
array, a Kubernetes indexed job, Ray tasks) split one list with no overlap.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from tqdm import tqdm

MARKER = ".ksl-batch"
MANIFEST = "manifest.jsonl"


class BatchError(ValueError):
    """A list, a shard or an output folder that cannot be used; the message says why."""


@dataclass(frozen=True)
class Item:
    """One sentence to render and how."""

    index: int
    text: str
    text2pose: str = "lexicon"
    pose2video: str = "avatar"
    signer: str | None = None
    speed: float = 1.0

    @property
    def id(self) -> str:
        """``00012-3fa9c1d2``: its place in the list and a hash of what is rendered, so a
        changed line is rendered again and an unchanged one is not."""
        what = json.dumps([self.text, self.text2pose, self.pose2video, self.signer, self.speed],
                          ensure_ascii=False)  # fmt: skip
        return f"{self.index:05d}-{hashlib.sha1(what.encode('utf-8')).hexdigest()[:8]}"


def read_list(path: str | Path, text2pose: str = "lexicon", pose2video: str = "avatar",
              signer: str | None = None, speed: float = 1.0) -> list[Item]:  # fmt: skip
    """The items of a ``.txt`` or ``.csv`` list (BatchError naming the line that is wrong)."""
    path = Path(path)
    if not path.is_file():
        raise BatchError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BatchError(f"{path}: not UTF-8 text") from None
    defaults = {"text2pose": text2pose, "pose2video": pose2video, "signer": signer, "speed": speed}
    if path.suffix.lower() != ".csv":
        lines = [ln.strip() for ln in text.splitlines()]
        rows = [{"text": ln} for ln in lines if ln and not ln.startswith("#")]
    else:
        reader = csv.DictReader(text.splitlines())
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        if "text" not in fields:
            raise BatchError(f"{path}: a CSV list needs a 'text' column (has: {', '.join(fields)})")
        rows = [{k.strip().lower(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    items = []
    for i, row in enumerate(rows, 1):
        if not row.get("text"):
            raise BatchError(f"{path}: item {i} has no text")
        values = {k: row.get(k) or v for k, v in defaults.items()}
        try:
            values["speed"] = float(values["speed"])
        except ValueError:
            raise BatchError(f"{path}: item {i}: speed {values['speed']!r} is not a number") from None
        items.append(Item(i, row["text"], **values))
    if not items:
        raise BatchError(f"{path}: no sentences in it")
    return items


def parse_shard(value: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4): the second of four shards (1-based)."""
    try:
        k, n = (int(x) for x in str(value).split("/"))
    except ValueError:
        raise BatchError(f"--shard {value!r}: write K/N, e.g. 1/4") from None
    if not 1 <= k <= n:
        raise BatchError(f"--shard {value}: K must be between 1 and N")
    return k, n


def shard_items(items: list[Item], k: int, n: int) -> list[Item]:
    """Every n-th item from the k-th (1-based): shards 1..n together are the list, once."""
    return [it for it in items if (it.index - 1) % n == k - 1]


def claim_folder(out: Path) -> None:
    """Use ``out`` for batch output: a new or empty folder, or one an earlier batch wrote."""
    if out.exists() and not out.is_dir():
        raise BatchError(f"--out {out}: a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise BatchError(f"--out {out}: holds files this command did not write; give a new or "
                         "empty folder (nothing in it is touched)")  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).touch()


def is_done(item: Item, out: Path) -> bool:
    record = out / f"{item.id}.json"
    if not record.is_file():
        return False
    try:
        return json.loads(record.read_text(encoding="utf-8")).get("status") == "ok"
    except ValueError:
        return False


_PIPE = None


def _start(checkpoints: str | None) -> None:
    global _PIPE
    from sign_pipeline.pipeline import SignPipeline

    _PIPE = SignPipeline(checkpoints=checkpoints)


def render_item(item: Item, out: str) -> dict:
    """Render one item into ``out`` (in a worker: the pipeline made by :func:`_start`)."""
    from sign_pipeline.pipeline import PipelineError

    out_dir = Path(out)
    record = {"id": item.id, **asdict(item)}
    try:
        res = _PIPE.run(item.text, signer=item.signer, speed=item.speed, text2pose=item.text2pose,
                        pose2video=item.pose2video, out_dir=out_dir, stem=item.id, files="video")
        files = {"video": res.files["video"], **_PIPE.write_keypoint_files(res, out_dir, item.id)}
        frames = out_dir / f"{item.id}_openpose"  # written just now; the zip holds them
        if frames.is_dir():
            shutil.rmtree(frames)
        summary = res.summary()
        record.update(status="ok", glosses=summary["gloss"]["glosses"], frames=res.n_frames,
                      duration_s=round(res.duration_s, 3), signer=res.signer,
                      files={k: Path(v).name for k, v in files.items()})  # fmt: skip
    except PipelineError as exc:
        record.update(status="error", error=str(exc))
    _write_json(out_dir / f"{item.id}.json", record)
    return record


def _write_json(path: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
    os.replace(tmp, path)


def write_manifest(items: list[Item], out: Path) -> Path:
    """``manifest.jsonl``: the record of every finished item of the list, in list order."""
    lines = []
    for it in items:
        path = out / f"{it.id}.json"
        if path.is_file():
            lines.append(path.read_text(encoding="utf-8"))
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".manifest.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + ("\n" if lines else ""))
    os.replace(tmp, out / MANIFEST)
    return out / MANIFEST


def run_batch(items: list[Item], out: Path, processes: int = 1, checkpoints: str | None = None,
              progress: bool = True) -> list[dict]:  # fmt: skip
    """Render the items not done yet; their records (done ones are skipped)."""
    todo = [it for it in items if not is_done(it, out)]
    bar = tqdm(total=len(items), initial=len(items) - len(todo), unit="sentence",
               disable=not progress, desc="rendering")  # fmt: skip
    records = []
    if processes <= 1:
        _start(checkpoints)
        for it in todo:
            records.append(render_item(it, str(out)))
            bar.update(1)
    else:
        import multiprocessing as mp

        with ProcessPoolExecutor(processes, mp.get_context("spawn"), _start, (checkpoints,)) as pool:
            for record in pool.map(render_item, todo, [str(out)] * len(todo)):
                records.append(record)
                bar.update(1)
    bar.close()
    return records


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sign_pipeline.batch",
                                 description=__doc__.split("\n")[0])  # fmt: skip
    ap.add_argument("list", help="sentences: a .txt (one a line) or a .csv with a text column")
    ap.add_argument("--out", required=True, help="folder for the videos, keypoints and manifest")
    ap.add_argument("--text2pose", default="lexicon")
    ap.add_argument("--pose2video", default="avatar")
    ap.add_argument("--signer", default=None)
    ap.add_argument("--speed", type=float, default=1.0)
    ap.add_argument("--shard", default="1/1", help="K/N: render the K-th of N shares")
    ap.add_argument("--processes", type=int, default=1, help="worker processes on this machine")
    ap.add_argument("--checkpoints", default=None)
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    try:
        if args.processes < 1:
            raise BatchError(f"--processes must be 1 or more, got {args.processes}")
        items = read_list(args.list, args.text2pose, args.pose2video, args.signer, args.speed)
        k, n = parse_shard(args.shard)
        out = Path(args.out)
        claim_folder(out)
    except BatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    mine = shard_items(items, k, n)
    records = run_batch(mine, out, args.processes, args.checkpoints, not args.no_progress)
    write_manifest(items, out)
    failed = [r for r in records if r["status"] != "ok"]
    for r in failed:
        print(f"error: item {r['index']} ({r['text']}): {r['error']}", file=sys.stderr)
    print(f"shard {k}/{n}: {len(mine)} sentences, {len(records)} rendered now, "
          f"{len(mine) - len(records)} already done, {len(failed)} failed -> {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
