""".skels/.gloss/.files(/.text) splits: round trips, counters, D detection, errors."""

from __future__ import annotations

import numpy as np
import pytest

from sign_pipeline import skeleton
from sign_pipeline.formats import FormatError
from sign_pipeline.formats.skels import (
    SkelsSequence,
    iter_skels,
    looks_like_image_units,
    make_counter,
    read_skels,
    skels_keypoints,
    write_skels,
)


def _seqs(dim: int, lengths=(3, 7, 1), text: bool = True) -> list[SkelsSequence]:
    rng = np.random.default_rng(dim)
    return [
        SkelsSequence(
            values=rng.normal(0, 0.3, size=(n, dim)).astype(np.float32),
            counter=None,
            gloss=f"지하철 가다 {i}",
            name=f"dev/NIA_SL_SEN{i:04d}_REAL01_F",
            text=f"지하철 타요 {i}" if text else None,
        )
        for i, n in enumerate(lengths)
    ]


def test_counters():
    np.testing.assert_allclose(make_counter(5, 254), [0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(make_counter(4, 150), [0, 0.25, 0.5, 0.75])
    assert make_counter(1, 254).tolist() == [0.0]


@pytest.mark.parametrize("dim", [254, 150])
def test_round_trip(tmp_path, dim):
    seqs = _seqs(dim)
    paths = write_skels(tmp_path / "dev", seqs)
    assert sorted(paths) == ["files", "gloss", "skels", "text"]
    back = read_skels(tmp_path / "dev")
    assert len(back) == 3
    for a, b in zip(seqs, back, strict=True):
        np.testing.assert_array_equal(b.values, a.values)
        np.testing.assert_array_equal(b.counter, make_counter(len(a.values), dim))
        assert (b.gloss, b.name, b.text, b.dim) == (a.gloss, a.name, a.text, dim)
    # a second write of what was read is byte-identical
    write_skels(tmp_path / "again", back)
    for ext in ("skels", "gloss", "files", "text"):
        assert (tmp_path / f"again.{ext}").read_bytes() == (tmp_path / f"dev.{ext}").read_bytes()
    # line layout: T frames x (D + 1) values
    first = (tmp_path / "dev.skels").read_text().split("\n")[0].split(" ")
    assert len(first) == 3 * (dim + 1)
    assert first[dim] == "0" and first[-1] == ("1" if dim == 254 else "0.666666687")


def test_without_text_and_prefix_with_suffix(tmp_path):
    write_skels(tmp_path / "test", _seqs(254, text=False))
    assert not (tmp_path / "test.text").exists()
    back = read_skels(tmp_path / "test.skels")
    assert [s.text for s in back] == [None, None, None]
    assert [len(s.values) for s in iter_skels(tmp_path / "test")] == [3, 7, 1]


def test_explicit_counter_is_kept(tmp_path):
    seq = _seqs(254, lengths=(4,))[0]
    seq.counter = np.array([0.0, 0.5, 0.5, 1.0], np.float32)
    write_skels(tmp_path / "x", [seq])
    assert read_skels(tmp_path / "x")[0].counter.tolist() == [0.0, 0.5, 0.5, 1.0]


def test_length_fits_no_dim(tmp_path):
    write_skels(tmp_path / "x", _seqs(254))
    lines = (tmp_path / "x.skels").read_text().split("\n")
    lines[1] = " ".join(["0.5"] * 300)
    (tmp_path / "x.skels").write_text("\n".join(lines))
    with pytest.raises(FormatError) as err:
        read_skels(tmp_path / "x")
    assert str(err.value) == (
        f"{tmp_path / 'x.skels'} line 2: 300 values is a multiple of neither 255 (D=254 joint "
        "values + counter, KSL 127-point layout) nor 151 (D=150 + counter, PHOENIX14T)"
    )


def test_dim_mismatch_between_lines_and_forced_dim(tmp_path):
    write_skels(tmp_path / "x", _seqs(254, lengths=(2, 2)))
    lines = (tmp_path / "x.skels").read_text().split("\n")
    lines[1] = " ".join(["0.1"] * 151 * 2)
    (tmp_path / "x.skels").write_text("\n".join(lines))
    with pytest.raises(FormatError) as err:
        read_skels(tmp_path / "x")
    assert str(err.value) == (
        f"{tmp_path / 'x.skels'} line 2: 302 values fit D=150 but line 1 has D=254 "
        "(every line of a split must have the same D)"
    )
    write_skels(tmp_path / "p", _seqs(150))
    with pytest.raises(FormatError) as err:
        read_skels(tmp_path / "p", dim=254)
    assert str(err.value) == (
        f"{tmp_path / 'p.skels'} line 1: 453 values is not a multiple of 255 "
        "(D=254 joint values + 1 counter per frame)"
    )


def test_line_count_mismatch_and_missing_file(tmp_path):
    write_skels(tmp_path / "x", _seqs(254))
    (tmp_path / "x.gloss").write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(FormatError) as err:
        read_skels(tmp_path / "x")
    assert str(err.value) == (
        f"{tmp_path / 'x.skels'}: the split files have different line counts "
        "(x.skels: 3, x.gloss: 2, x.files: 3, x.text: 3)"
    )
    (tmp_path / "x.files").unlink()
    with pytest.raises(FormatError, match=r"x.files: missing"):
        read_skels(tmp_path / "x")


def test_non_number(tmp_path):
    write_skels(tmp_path / "x", _seqs(254, lengths=(1,)))
    (tmp_path / "x.skels").write_text("0.1 abc\n")
    with pytest.raises(FormatError, match=r"x.skels line 1: not a number"):
        read_skels(tmp_path / "x")


def test_skels_keypoints_restore_the_picture_aspect():
    rng = np.random.default_rng(1)
    pixels = rng.uniform(100, 1800, size=(4, 127, 2)).astype(np.float32)
    pixels[:, :, 1] *= 1000 / 1800  # y within 1080
    pixels[1, 7] = 0  # a missing point
    values = skeleton.flatten(pixels / np.float32(skeleton.SEED_SCALE))
    values[2, 10:12] = np.nan  # NaN is missing too
    kp, mask, units = skels_keypoints(SkelsSequence(values, None, "g", "n"))
    assert units == "image" and kp.shape == (4, 127, 2)
    assert not mask[1, 7] and not mask[2, 5] and mask.sum() == 4 * 127 - 2
    assert (kp[~mask] == 0).all()
    np.testing.assert_allclose(kp[mask], pixels[mask], rtol=1e-5)


def test_skels_keypoints_in_a_body_frame_are_kept():
    rng = np.random.default_rng(2)
    body = rng.normal(0, 0.8, size=(3, 127, 2)).astype(np.float32)  # neck-centred: negatives
    kp, mask, units = skels_keypoints(SkelsSequence(skeleton.flatten(body), None, "g", "n"))
    assert units == "as given" and mask.all()
    np.testing.assert_array_equal(kp, body)
    assert looks_like_image_units(np.full_like(body, 0.5), np.ones((3, 127), bool))
    with pytest.raises(FormatError, match="D=150"):
        skels_keypoints(SkelsSequence(np.zeros((2, 150), np.float32), None, "g", "n"))
