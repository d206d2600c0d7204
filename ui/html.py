"""HTML for the page, built from results: gloss chips, the compare grid and table, the
measured figures of each model. Plain strings (no gradio), so each is tested on its own."""

from __future__ import annotations

import html
import json
from pathlib import Path

from sign_pipeline import compare as cmp
from sign_pipeline import registry

#: Chip colour per gloss source.
SOURCE_COLORS = {
    "lexicon": "#2e7d32",
    "synonym": "#00838f",
    "number": "#6a1b9a",
    "fingerspelling": "#e65100",
    "taught": "#1565c0",
    "memory": "#6d4c41",
}


def marks(g) -> list[str]:
    """The non-manual marks of a gloss result, in words (question brows, head shake)."""
    marks = []
    if g.question:
        kind = g.question_type or "yes_no"
        marks.append(
            "wh-question (lowered, knitted brows)" if kind == "wh"
            else "yes/no question (raised brows)"
        )  # fmt: skip
    if g.negation:
        marks.append("negation (head shake)")
    return marks


def gloss_html(result) -> str:
    """Each gloss as a chip coloured by its source; fingerspelled letters grouped by word.

    Once the pose exists, ``data-spans`` holds ``[chip index, gloss, start s, end s]`` per
    signed gloss, read by the page script to show the gloss being signed.
    """
    g = result.gloss
    items = g.to_dict().get("items") or []
    parts: list[str] = []
    open_group = None
    for it in items:
        name = html.escape(str(it.get("gloss", "")))
        src = str(it.get("source", "lexicon"))
        color = SOURCE_COLORS.get(src, "#455a64")
        group = it.get("group")
        spelled = src == "fingerspelling"
        if open_group is not None and (not spelled or group != open_group):
            parts.append("</span></span>")
            open_group = None
        if spelled and open_group is None:
            word = html.escape(str(it.get("word") or it.get("surface") or ""))
            parts.append(
                f'<span class="gloss-word"><span class="gloss-word-label">{word} · '
                'fingerspelled</span><span class="gloss-word-letters">'
            )
            open_group = group
        title = (
            str(it.get("surface", ""))
            if src != "memory"
            else ("no word of its own: the training data signs it in this sentence pattern")
        )
        parts.append(
            f'<span class="gloss-chip" style="border-color:{color};color:{color}"'
            f' data-source="{src}" title="{html.escape(title)}">'
            f'<span class="gloss-name">{name}</span><span class="gloss-src">{src}</span></span>'
        )
    if open_group is not None:
        parts.append("</span></span>")
    spans = []
    if result.pose is not None:
        chip = 0
        for t in result.pose.timings:
            while chip < len(g.glosses) and g.glosses[chip] != t.gloss:
                chip += 1
            if chip >= len(g.glosses):
                break
            spans.append([chip, t.gloss, round(t.start / result.fps, 3),
                          round(t.end / result.fps, 3)])  # fmt: skip
            chip += 1
    cov = ", ".join(f"{k}: {v}" for k, v in g.coverage.items() if v)
    lines = [
        f'<div class="gloss-line" data-glosses="{html.escape(" ".join(g.glosses))}"'
        f" data-spans='{html.escape(json.dumps(spans, ensure_ascii=False))}'>",
        "".join(parts),
        "</div>",
        f"<p><b>Coverage</b> — {html.escape(cov) or 'none'}",
    ]
    shown = marks(g)
    if shown:
        lines.append(
            ' · <b>Marks</b> — <span id="marks">' + html.escape(", ".join(shown)) + "</span>"
        )
    lines.append("</p>")
    if g.skipped:
        skipped = ", ".join(html.escape(f"{s.text} ({s.reason})") for s in g.skipped)
        lines.append(f"<p><b>Skipped</b> — {skipped}</p>")
    if g.message:
        lines.append(f"<p><i>{html.escape(g.message)}</i></p>")
    return "".join(lines)


def timings_md(res) -> str:
    """Milliseconds per stage and the clip length, as a markdown table."""
    rows = ["| stage | ms |", "|---|---:|"]
    for k, v in res.timings.items():
        rows.append(f"| {k} | {v * 1000:.0f} |")
    rows.append(f"| **clip length** | {res.duration_s * 1000:.0f} |")
    return "\n".join(rows)


def error_html(message: str) -> str:
    """A message for the user (``#error``)."""
    return f'<p class="error-box" id="error">⚠ {html.escape(message)}</p>'


def file_url(path: Path) -> str:
    """Where the browser fetches a file the server wrote."""
    return f"/gradio_api/file={html.escape(str(path))}"


def fmt(value: object, digits: int = 2) -> str:
    """A figure for a table cell: rounded, ``n/a`` for None/NaN, escaped text otherwise."""
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else html.escape(str(value))


def grid_html(results: list[cmp.PairResult], pending: list[str]) -> str:
    """One cell per pair: its labelled video, its error, or "running"."""
    cells = []
    for r in results:
        label = html.escape(r.label)
        if r.ok and r.kind == "reference":
            cells.append(
                f'<div class="compare-cell reference" data-reference="{html.escape(r.text2pose)}">'
                f'<div class="pair">{label} ({html.escape(r.text2pose)})</div>'
                f'<video src="{file_url(r.video)}" muted playsinline preload="auto"></video></div>'
            )
        elif r.ok:
            cells.append(
                f'<div class="compare-cell" data-pair="{label}"><div class="pair">{label}</div>'
                f'<video src="{file_url(r.video)}" muted playsinline preload="auto"></video>'
                + (f'<img alt="attention" src="{file_url(r.attention_png)}" width="100%">'
                   if r.attention_png else "")
                + "</div>"
            )  # fmt: skip
        else:
            cells.append(
                f'<div class="compare-cell failed" data-pair="{label}"><div class="pair">{label}'
                f'</div><p class="error-box">⚠ {html.escape(r.error or "")}</p></div>'
            )
    for label in pending:
        cells.append(
            f'<div class="compare-cell pending" data-pair="{html.escape(label)}"><div class="pair">'
            f"{html.escape(label)}</div><p>running…</p></div>"
        )
    button = '<button class="play-all" type="button">▶ Play all together</button>'
    return f'{button}<div class="compare-grid">{"".join(cells)}</div>'


def table_html(results: list[cmp.PairResult], reference: dict | None) -> str:
    """Figures per pair: length, per-stage ms, back-translation WER, motion, DTW."""
    stages = []
    for r in results:
        stages += [s for s in r.timings_ms if s not in stages]
    motion_heads = ["wrist speed mean", "wrist speed p95", "non-dom ratio", "hand size",
                    "articulation"]  # fmt: skip
    head = (["pair", "frames", "seconds"] + [f"{s} ms" for s in stages]
            + ["BT WER", "read back"] + motion_heads + ["DTW vs reference"])  # fmt: skip
    rows = ["<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for r in results:
        if not r.ok:
            rows.append(
                f'<tr class="failed"><td>{html.escape(r.label)}</td>'
                f'<td colspan="{len(head) - 1}">failed: {html.escape(r.error or "")}</td></tr>'
            )
            continue
        mo = r.motion or {}
        name = html.escape(r.label if r.kind == "pair" else f"{r.label} ({r.text2pose})")
        cells = [name, str(r.n_frames), fmt(r.duration_s)]
        cells += [fmt(r.timings_ms.get(s), 0) for s in stages]
        cells += [fmt(r.wer), html.escape(" ".join(r.read_back)) if r.read_back else "n/a"]
        cells += [fmt(mo.get(k), 3) for k in cmp.MOTION_KEYS]
        cells.append(fmt(r.dtw, 3))
        attr = (f'data-pair="{html.escape(r.label)}"' if r.kind == "pair"
                else 'class="reference-clip"')  # fmt: skip
        rows.append(f"<tr {attr}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    if reference:
        cells = ["corpus reference clips (evaluation, all test clips)", "", ""]
        cells += [""] * len(stages) + ["", ""]
        cells += [fmt(reference.get(k), 3) for k in cmp.MOTION_KEYS] + [""]
        rows.append('<tr class="reference">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f'<table class="compare-table" id="cmp-table-rows">{"".join(rows)}</table>'


def backend_label(stage: str, row: dict) -> str:
    """The name users know an evaluated backend by (``"progressive"`` -> ``"Transformer"``)."""
    return registry.label(stage, str(row.get("name")))


def about_models_html(evaluation: dict | None) -> str:
    """The evaluation command's results: test-split figures per backend, date and command."""
    if not evaluation:
        return (
            "<p>No evaluation results yet (<code>docs/evaluation.json</code>): run "
            "<code>python -m training.evaluate --data data/prepared</code>.</p>"
        )
    data = evaluation.get("data", {})
    rows = ["<tr><th>text to pose</th><th>clips</th><th>DTW</th><th>hands DTW</th>"
            "<th>length err</th><th>BT WER</th><th>wrist speed mean</th><th>articulation</th>"
            "<th>ms / sentence</th></tr>"]  # fmt: skip
    for row in evaluation.get("text2pose", []):
        mo = row.get("motion") or {}
        reference = row.get("kind") == "reference"
        name = html.escape(str(row.get("name")) if reference else backend_label("text2pose", row))
        name += " (reference)" if reference else ""
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in [
            name, row.get("clips"), fmt(row.get("dtw"), 3), fmt(row.get("hands_dtw"), 3),
            fmt(row.get("length_error"), 3), fmt(row.get("wer"), 3),
            fmt(mo.get("wrist_speed_mean"), 2), fmt(mo.get("articulation"), 3),
            fmt(row.get("ms_per_sentence"), 1)]) + "</tr>")  # fmt: skip
    video = ["<tr><th>pose to video</th><th>clips</th><th>PSNR dB</th><th>SSIM</th>"
             "<th>SSIM face</th><th>rel. flicker</th><th>ms / frame</th></tr>"]  # fmt: skip
    for row in evaluation.get("pose2video", []):
        video.append("<tr>" + "".join(f"<td>{c}</td>" for c in [
            html.escape(backend_label("pose2video", row)), row.get("clips"), fmt(row.get("psnr")),
            fmt(row.get("ssim"), 3), fmt(row.get("ssim_face"), 3),
            fmt(row.get("relative_flicker")), fmt(row.get("ms_per_frame"))]) + "</tr>")  # fmt: skip
    judge = evaluation.get("recognizer") or {}
    asked = ""
    if judge.get("wer_references_vs_asked") is not None and judge.get("sentences_signed_otherwise"):
        memo = (" (its rules, then the gloss memory learned from the training sentences)"
                if evaluation.get("gloss_memory") else "")  # fmt: skip
        asked = (
            f'<p id="about-models-asked">The backends are asked for the gloss stage\'s glosses'
            f"{memo} and read back against them; the reference clips read that way score "
            f"{fmt(judge['wer_references_vs_asked'], 3)} (their own glosses: "
            f"{fmt(judge.get('wer_references'), 3)}): {judge['sentences_signed_otherwise']} test "
            "sentences are signed in the corpus with other glosses (dropped or reordered).</p>"
        )
    return (
        f'<p id="about-models-source">Measured on {data.get("evaluated_clips", "?")} test clips '
        f"({html.escape(str(data.get('path', '?')))}), {html.escape(str(evaluation.get('date')))}, "
        f"by <code>{html.escape(str(evaluation.get('command')))}</code>. Lower DTW and WER are "
        "better; the reference rows are the floor.</p>"
        f'<table class="compare-table">{"".join(rows)}</table>'
        + asked
        + (f'<table class="compare-table">{"".join(video)}</table>' if len(video) > 1 else "")
    )
