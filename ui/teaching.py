"""The handlers of the "Teach a sign" and "Your signing on our signer" tabs.

:class:`TeachHandlers` is a part of :class:`ui.handlers.PageHandlers` (it uses its ``pipe``
and ``out_root``): each method returns or yields updates keyed by output names, like the
other handlers, so a test calls it without a browser.
"""

from __future__ import annotations

import html
import zipfile
from collections.abc import Iterator
from pathlib import Path

import gradio as gr

from sign_pipeline import skeleton as sk
from sign_pipeline.animate import animate, read_input
from sign_pipeline.pipeline import PipelineError
from sign_pipeline.signs import TeachError
from sign_pipeline.signs.__main__ import builtin_glosses
from sign_pipeline.signs.teach import sign_clip
from ui import html as page_html
from ui.serving import WORK, new_run_dir, release_memory, slots_for

Updates = dict[str, object]
#: Columns of the taught-signs table.
TABLE_HEADERS = ["word", "seconds", "recorded from", "taught on"]
KEYPOINT_FILES = [".pose", ".zip", ".skels"]


def _ok(message: str) -> str:
    return f'<p class="ok">{html.escape(message)}</p>'


def _signer(value: object) -> object:
    """The signer id of a menu label (the Sign tab's rule)."""
    from ui.handlers import signer_number  # PageHandlers is built on this module

    return signer_number(value)


def unpack_source(upload: object, folder: Path) -> Path:
    """An uploaded file as a source: a ``.zip`` of OpenPose JSON frames becomes a folder of
    them (only the ``*.json`` files, by their own names); anything else is used as it is."""
    if not upload:
        raise TeachError("record or upload a video, or upload a keypoint file (.pose, or a "
                         ".zip of OpenPose JSON frames)")  # fmt: skip
    path = Path(str(upload))
    if path.suffix.lower() != ".zip":
        return path
    frames = folder / "openpose_frames"
    frames.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.lower().endswith(".json")]
            for n in names:
                (frames / Path(n).name).write_bytes(z.read(n))
    except zipfile.BadZipFile:
        raise TeachError(f"{path.name} is not a zip file") from None
    if not names:
        raise TeachError(f"{path.name} holds no OpenPose JSON frames (*_keypoints.json)")
    return frames


class TeachHandlers:
    """Teaching signs and animating recordings (see the module docstring)."""

    pipe: object
    out_root: Path | None

    # ------------------------------------------------------------------ the taught signs

    def signs_table(self) -> list[list[object]]:
        """One row per taught sign."""
        return [[e.gloss, round(e.seconds, 2), e.source, e.date[:10]]
                for e in self.pipe.signs.entries()]  # fmt: skip

    def _listing(self, keep: str | None = None) -> Updates:
        words = sorted(self.pipe.signs.glosses())
        return {"signs_table": self.signs_table(),
                "sign_pick": gr.update(choices=words, value=keep if keep in words else
                                       (words[0] if words else None))}  # fmt: skip

    def _preview(self, clip: sk.PoseSequence, signer: object, pose2video: str, name: str,
                 out_dir: Path) -> Path:  # fmt: skip
        """Skeleton | signer of a clip, as the page shows it."""
        with slots_for(pose2video):
            res = animate(clip, self.pipe, pose2video, _signer(signer), name)
            return self.pipe.write_side_by_side(res, out_dir, "preview")

    def teach_preview(self, video: object, keypoints: object, word: str, signer: object
                      ) -> Iterator[Updates]:  # fmt: skip
        """The recording as it would be saved: its signing span, on the chosen signer."""
        try:
            out_dir = new_run_dir(self.out_root)
            yield {"teach_status": "Finding the person and the signing…", "teach_video": None}
            source = unpack_source(video or keypoints, out_dir)
            label = word.strip() if isinstance(word, str) and word.strip() else source.name
            clip = sign_clip(read_input(source), source.name)
            path = self._preview(clip, signer, "avatar", label, out_dir)
            yield {"teach_status": _ok(f"{len(clip)} frames ({len(clip) / clip.fps:.2f} s) of "
                                       "signing found. Check it, then save it."),
                   "teach_video": str(path)}  # fmt: skip
        except (TeachError, PipelineError, ValueError) as exc:
            yield {"teach_status": page_html.error_html(str(exc)), "teach_video": None}
        finally:
            release_memory()

    def teach_save(self, video: object, keypoints: object, word: str, replace: bool) -> Updates:
        """Save the recording as the sign of ``word`` (nothing is saved on any problem)."""
        try:
            source = unpack_source(video or keypoints, new_run_dir(self.out_root))
            with WORK:
                entry = self.pipe.signs.add(source, word, bool(replace), builtin_glosses())
        except (TeachError, PipelineError, OSError) as exc:
            return {"teach_status": page_html.error_html(str(exc)), **self._listing()}
        finally:
            release_memory()
        over = " It replaces the built-in placeholder." if entry.replaces_builtin else ""
        return {"teach_status": _ok(f"Saved {entry.gloss} ({entry.seconds:.2f} s).{over} "
                                    "Sentences with this word now use your sign."),
                **self._listing(entry.gloss)}  # fmt: skip

    def sign_play(self, word: str, signer: object) -> Updates:
        """A taught sign on the chosen signer."""
        try:
            if not word:
                raise TeachError("choose a taught sign")
            clip = self.pipe.signs.clip(word)
            path = self._preview(clip, signer, "avatar", word, new_run_dir(self.out_root))
            return {"signs_status": "", "signs_video": str(path)}
        except (TeachError, PipelineError, OSError) as exc:
            return {"signs_status": page_html.error_html(str(exc)), "signs_video": None}

    def sign_rename(self, word: str, new: str) -> Updates:
        try:
            entry = self.pipe.signs.rename(word, new)
            return {"signs_status": _ok(f"Renamed {word} to {entry.gloss}."),
                    **self._listing(entry.gloss)}  # fmt: skip
        except TeachError as exc:
            return {"signs_status": page_html.error_html(str(exc)), **self._listing(word)}

    def sign_remove(self, word: str) -> Updates:
        try:
            self.pipe.signs.remove(word)
            return {"signs_status": _ok(f"Removed {word}."), "signs_video": None,
                    **self._listing()}  # fmt: skip
        except TeachError as exc:
            return {"signs_status": page_html.error_html(str(exc)), **self._listing(word)}

    def signs_export(self) -> Updates:
        try:
            path = new_run_dir(self.out_root) / "taught_signs.zip"
            n = self.pipe.signs.export(path)
            return {"signs_status": _ok(f"Exported {n} signs."),
                    "signs_file": gr.update(value=str(path), visible=True)}  # fmt: skip
        except (TeachError, OSError) as exc:
            return {"signs_status": page_html.error_html(str(exc)), "signs_file": None}

    def signs_import(self, upload: object, replace: bool) -> Updates:
        try:
            if not upload:
                raise TeachError("choose an export (.zip) of taught signs to import")
            added = self.pipe.signs.import_zip(str(upload), bool(replace))
            return {"signs_status": _ok(f"Imported {len(added)} signs: "
                                        + ", ".join(e.gloss for e in added)),
                    **self._listing()}  # fmt: skip
        except (TeachError, OSError) as exc:
            return {"signs_status": page_html.error_html(str(exc)), **self._listing()}

    # ------------------------------------------------------------------ animate

    def animate_page(self, video: object, keypoints: object, line: object, signer: object,
                     pose2video: str) -> Iterator[Updates]:  # fmt: skip
        """A recording or keypoint file re-signed by one of our signers."""
        try:
            out_dir = new_run_dir(self.out_root)
            yield {"anim_status": "Reading the motion…", "anim_video": None}
            source = unpack_source(video or keypoints, out_dir)
            number = int(line) if source.suffix.lower() == ".skels" and line else None
            seq = read_input(source, number)
            yield {"anim_status": f"Drawing {len(seq)} frames…"}
            with slots_for(pose2video):
                res = animate(seq, self.pipe, pose2video, _signer(signer), source.name)
                path = self.pipe.write_side_by_side(res, out_dir, "animated")
            yield {"anim_status": _ok(f"{res.n_frames} frames ({res.duration_s:.2f} s at "
                                      f"{res.fps:g} fps) on signer {res.signer}."),
                   "anim_video": str(path)}  # fmt: skip
        except (TeachError, PipelineError, ValueError, OSError) as exc:
            yield {"anim_status": page_html.error_html(str(exc)), "anim_video": None}
        finally:
            release_memory()
