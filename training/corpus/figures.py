"""README figures of the demo corpus: ``python -m training.corpus.figures --out docs/images``.

* ``corpus_signers.png``: the four signer identities signing the same sentence;
* ``corpus_sentence.png``: one sentence over time with the gloss being signed;
* ``corpus_handshapes.png``: handshapes of the lexicon table, drawn by the avatar.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from sign_pipeline import skeleton as sk
from sign_pipeline.inventory.forms import load_handshapes
from sign_pipeline.pose2video.avatar_drawing import render_avatar
from training.corpus import kinematics as kin
from training.corpus.generate import ClipJob, make_clip
from training.corpus.parametric_signer import CONTACT, Body, orientation_matrix, synthesize
from training.corpus.signer_styles import SIGNER_IDS, get_style


def _font(size: int) -> ImageFont.ImageFont:
    try:
        import koreanize_matplotlib

        path = Path(koreanize_matplotlib.__file__).parent / "fonts" / "NanumGothic.ttf"
        return ImageFont.truetype(str(path), size)
    except Exception:  # pragma: no cover - font package missing
        return ImageFont.load_default()


def _save(img: np.ndarray, path: Path, colors: int = 200) -> None:
    """PNG with a reduced palette (keeps the files small)."""
    Image.fromarray(img).quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(
        path, optimize=True
    )


def _clip(glosses, sentence, signer, kind="SEN"):
    job = ClipJob(f"NIA_SL_{kind}9999_{signer}_F", kind, signer, tuple(glosses), sentence, 0, True)
    return make_clip(job)


def signers_figure(path: Path, tile: int = 192) -> None:
    glosses = "서울 기차 가다 목적 지하철 바꾸다 몇호".split()
    sentence = "서울역까지 가려면 지하철 몇 호선으로 환승해야 하나요?"
    rows = []
    for signer in SIGNER_IDS:
        _, spans, frames, _ = _clip(glosses, sentence, signer)
        picks = [(s.start + s.end) // 2 for s in spans[::2]][:4]
        rows.append(np.concatenate([_resize(frames[t], tile) for t in picks], 1))
    _save(np.concatenate(rows, 0), path)


def _resize(img: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(Image.fromarray(img).resize((size, size), Image.LANCZOS))


def sentence_figure(path: Path, tile: int = 160) -> None:
    glosses = ["지하철", "환풍구", "가방", "빠지다"]
    sentence = "지하철 환풍구에 가방이 빠졌어요!"
    _, spans, frames, _ = _clip(glosses, sentence, "REAL02")
    picks = [spans[0].start - 12] + [(s.start + s.end) // 2 for s in spans]
    labels = ["(rest)"] + [s.gloss for s in spans]
    strip = np.concatenate([_resize(frames[t], tile) for t in picks], 1)
    canvas = Image.new("RGB", (strip.shape[1], strip.shape[0] + 30), (255, 255, 255))
    canvas.paste(Image.fromarray(strip), (0, 0))
    draw = ImageDraw.Draw(canvas)
    font = _font(17)
    for i, (label, t) in enumerate(zip(labels, picks)):
        draw.text(
            (i * tile + 8, strip.shape[0] + 5), f"{label}  t={t}", fill=(20, 20, 20), font=font
        )
    _save(np.asarray(canvas), path)


def handshapes_figure(path: Path, names: list[str] | None = None, tile: int = 96) -> None:
    style = get_style("REAL01")
    body = Body(style)
    base = synthesize(["네"], style, np.random.default_rng(0)).body_units[0].copy()
    table = load_handshapes()
    names = names or list(table)
    tiles = []
    font = _font(13)
    for name in names:
        rot = orientation_matrix("out_up", "right")
        pos = body.location("neutral_high", "right")
        wrist = pos - rot @ (CONTACT * body.hand)
        elbow, wr = kin.arm_ik(body.shoulder_r[None], wrist[None], body.upper, body.fore, -1.0)
        pts = base.copy()
        angles = kin.handshape_vector(table[name])[None]
        pts[sk.RIGHT_HAND] = kin.hand_points(angles, rot[None], wr, body.hand)[0]
        pts[sk.R_ELBOW], pts[sk.R_WRIST] = elbow[0], wr[0]
        px = style.appearance.pixel(pts[:, :2])
        frame = render_avatar(px, None, style.appearance)
        c = px[sk.RIGHT_HAND].mean(0).astype(int)
        x0, y0 = (int(np.clip(v - 30, 0, 256 - 60)) for v in c)
        crop = Image.fromarray(frame[y0 : y0 + 60, x0 : x0 + 60]).resize(
            (tile, tile), Image.LANCZOS
        )
        ImageDraw.Draw(crop).text((3, 2), name, fill=(0, 0, 0), font=font)
        tiles.append(np.asarray(crop))
    per_row = 10
    while len(tiles) % per_row:
        tiles.append(np.full_like(tiles[0], 255))
    rows = [np.concatenate(tiles[i : i + per_row], 1) for i in range(0, len(tiles), per_row)]
    _save(np.concatenate(rows, 0), path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs/images")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    signers_figure(out / "corpus_signers.png")
    sentence_figure(out / "corpus_sentence.png")
    handshapes_figure(out / "corpus_handshapes.png")
    for p in sorted(out.glob("corpus_*.png")):
        print(f"{p}: {p.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
