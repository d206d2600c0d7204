"""Drawing the stylised avatar from pixel keypoints (numpy + OpenCV, no model).

Everything is drawn from the keypoints (pixels of the signer's 256 x 256 frame, see
:mod:`.placement`) plus an :class:`~.appearances.Appearance` (colours, hair, clothing,
proportions), so a frame shows exactly the pose it was given:

* torso, shoulders and hips from the pose points, clothing shaded like a cylinder;
* head from the 17 jaw points with a forehead arc, ears, hair; eyes, pupils, brows, nose
  and lips from the FACE_70 points (a head ellipse from the pose points when the face
  is missing);
* arms as shaded limbs; hands as a palm polygon and five outlined fingers through the
  21 hand points, so handshapes are readable;
* missing points (mask False) are not drawn: a hand with fewer than 10 of its 21 points
  is left out, a bone with a missing end is skipped.

Which hand is in front can be given per frame (``front_hand``); without it the right
(usually dominant) hand is drawn last. The synthetic demo corpus draws its video with
:func:`render_avatar`; the app's "avatar" backend (:mod:`.avatar`) places and draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from sign_pipeline import skeleton as sk
from sign_pipeline.pose2video.appearances import Appearance, Color, get_appearance
from sign_pipeline.pose2video.placement import FRAME_SIZE

_SHIFT = 4  # sub-pixel bits for OpenCV drawing
_ONE = 1 << _SHIFT
_AA = cv2.LINE_AA


# ---------------------------------------------------------------------------- colours


def _shade(c: Color, k: float) -> tuple[int, int, int]:
    """RGB colour scaled toward black (k < 1) or white (k > 1)."""
    a = np.asarray(c, np.float32)
    a = a * k if k <= 1 else a + (255 - a) * (k - 1)
    return tuple(int(v) for v in np.clip(a, 0, 255))


def _mix(c1: Color, c2: Color, t: float) -> tuple[int, int, int]:
    return tuple(int(round(a * (1 - t) + b * t)) for a, b in zip(c1, c2))


@dataclass(frozen=True)
class _Palette:
    skin: Color
    skin_dark: Color
    skin_line: Color
    skin_light: Color
    hair: Color
    hair_dark: Color
    shirt: Color
    shirt_dark: Color
    shirt_light: Color
    lips: Color
    mouth: Color
    iris: Color
    white: Color
    brow: Color
    cheek: Color


@lru_cache(maxsize=64)
def _palette(app: Appearance) -> _Palette:
    return _Palette(
        skin=app.skin,
        skin_dark=_shade(app.skin, 0.86),
        skin_line=_shade(app.skin, 0.62),
        skin_light=_shade(app.skin, 1.12),
        hair=app.hair,
        hair_dark=_shade(app.hair, 0.7),
        shirt=app.shirt,
        shirt_dark=_shade(app.shirt, 0.72),
        shirt_light=_shade(app.shirt, 1.15),
        lips=app.lips,
        mouth=(92, 34, 40),
        iris=app.iris,
        white=(248, 248, 246),
        brow=_mix(app.hair, app.skin, 0.25) if sum(app.hair) < 300 else _shade(app.hair, 0.6),
        cheek=_mix(app.skin, (230, 120, 120), 0.18),
    )


@lru_cache(maxsize=64)
def _background(app: Appearance, size: int) -> np.ndarray:
    """Plain background with a soft vertical gradient (RGB uint8)."""
    top = np.asarray(_shade(app.background, 1.06), np.float32)
    bottom = np.asarray(_shade(app.background, 0.9), np.float32)
    t = np.linspace(0, 1, size, dtype=np.float32)[:, None]
    col = top * (1 - t) + bottom * t
    img = np.broadcast_to(col[:, None, :], (size, size, 3))
    return np.ascontiguousarray(img.astype(np.uint8))


# ---------------------------------------------------------------------------- drawing helpers


def _fx(p: np.ndarray) -> np.ndarray:
    """Float pixel coordinates -> fixed-point int32 for OpenCV with sub-pixel shift."""
    return np.round(np.asarray(p, np.float64) * _ONE).astype(np.int32)


def _line(img, a, b, color, width: float) -> None:
    cv2.line(img, tuple(_fx(a)), tuple(_fx(b)), color, max(1, int(round(width))), _AA, _SHIFT)


def _circle(img, c, r: float, color) -> None:
    cv2.circle(img, tuple(_fx(c)), max(1, int(round(r * _ONE))), color, -1, _AA, _SHIFT)


def _poly(img, pts, color) -> None:
    cv2.fillPoly(img, [_fx(pts).reshape(-1, 1, 2)], color, _AA, _SHIFT)


def _convex(img, pts, color) -> None:
    cv2.fillConvexPoly(img, _fx(pts).reshape(-1, 1, 2), color, _AA, _SHIFT)


def _polyline(img, pts, color, width: float, closed: bool = False) -> None:
    cv2.polylines(
        img, [_fx(pts).reshape(-1, 1, 2)], closed, color, max(1, int(round(width))), _AA, _SHIFT
    )


def _limb(img, a, b, color, dark, light, width: float) -> None:
    """A shaded limb: dark outline, fill, thin highlight along the middle."""
    _line(img, a, b, dark, width + 2)
    _line(img, a, b, color, width)
    if width >= 5:
        d = np.asarray(b, np.float64) - np.asarray(a, np.float64)
        n = np.array([-d[1], d[0]]) / (np.linalg.norm(d) + 1e-9)
        off = n * width * 0.18 * (1 if n[0] + n[1] < 0 else -1)
        _line(img, np.asarray(a) + off, np.asarray(b) + off, light, max(1.0, width * 0.25))


def _perp(v: np.ndarray) -> np.ndarray:
    n = np.array([-v[1], v[0]], np.float64)
    return n / (np.linalg.norm(n) + 1e-9)


# ---------------------------------------------------------------------------- body parts

_F = sk.FACE.start
_JAW = np.arange(_F, _F + 17)


def _head_frame(kp: np.ndarray, m: np.ndarray, s: float):
    """Centre, right (half-width) and up vectors of the head, or None."""
    if m[_JAW].all() and m[_F + 27] and m[_F + 8]:
        p0, p16, chin, bridge = kp[_F], kp[_F + 16], kp[_F + 8], kp[_F + 27]
        right = (p16 - p0) / 2
        width = 2 * np.linalg.norm(right)
        up = bridge - chin
        up = up / (np.linalg.norm(up) + 1e-9)
        centre = (p0 + p16) / 2
        return centre, right, up, width, True
    if m[sk.NOSE]:
        nose = kp[sk.NOSE]
        width = 0.46 * s
        if m[11] and m[12]:
            eye_vec = kp[12] - kp[11]
            right = eye_vec / (np.linalg.norm(eye_vec) + 1e-9) * width / 2
        else:
            right = np.array([width / 2, 0.0])
        up = np.array([right[1], -right[0]]) / (np.linalg.norm(right) + 1e-9)
        centre = nose + up * 0.05 * s
        return centre, right, up, width, False
    return None


def _draw_hair_back(img, head, app: Appearance, pal: _Palette, s: float) -> None:
    if head is None or app.hair_style not in ("long", "bob"):
        return
    centre, right, up, width, _ = head
    rn = right / (np.linalg.norm(right) + 1e-9)
    down = -up
    if app.hair_style == "long":
        depth, spread = 1.25, 1.28
    else:
        depth, spread = 0.62, 1.22
    top = centre + up * width * 0.78
    pts = [top]
    for t in np.linspace(0, 1, 7)[1:]:
        ang = t * np.pi / 2
        pts.append(
            centre + rn * width * 0.62 * spread * np.sin(ang) + up * width * 0.78 * np.cos(ang)
        )
    pts.append(centre + rn * width * 0.62 * spread + down * width * depth)
    pts.append(centre - rn * width * 0.62 * spread + down * width * depth)
    for t in np.linspace(1, 0, 7)[:-1]:
        ang = t * np.pi / 2
        pts.append(
            centre - rn * width * 0.62 * spread * np.sin(ang) + up * width * 0.78 * np.cos(ang)
        )
    _poly(img, np.array(pts), pal.hair_dark)


def _draw_torso(img, kp, m, app: Appearance, pal: _Palette, s: float, size: int) -> None:
    if not (m[sk.R_SHOULDER] and m[sk.L_SHOULDER]):
        return
    rs, ls = kp[sk.R_SHOULDER], kp[sk.L_SHOULDER]
    neck = kp[sk.NECK] if m[sk.NECK] else (rs + ls) / 2
    across = ls - rs
    sw = np.linalg.norm(across) + 1e-9
    xdir = across / sw
    down = np.array([-xdir[1], xdir[0]])
    if down[1] < 0:
        down = -down
    if m[sk.MID_HIP]:
        hip = kp[sk.MID_HIP]
    else:
        hip = neck + down * app.torso * s
    hw = app.hip_width * s * 0.5 + 0.1 * s
    rh = hip - xdir * hw
    lh = hip + xdir * hw
    if m[9]:
        rh = kp[9] - xdir * 0.1 * s
    if m[10]:
        lh = kp[10] + xdir * 0.1 * s
    bottom = max(size * 1.1, hip[1] + s)
    ext = down * (bottom - hip[1]) / max(down[1], 0.3)
    pts = np.array([
        rh + ext - xdir * 0.04 * s, rh, rs - xdir * 0.12 * s + down * 0.12 * s,
        rs - xdir * 0.07 * s - down * 0.05 * s, rs + xdir * 0.05 * s - down * 0.1 * s,
        neck - xdir * 0.17 * s - down * 0.13 * s, neck + xdir * 0.17 * s - down * 0.13 * s,
        ls - xdir * 0.05 * s - down * 0.1 * s, ls + xdir * 0.07 * s - down * 0.05 * s,
        ls + xdir * 0.12 * s + down * 0.12 * s, lh, lh + ext + xdir * 0.04 * s,
    ])  # fmt: skip
    _poly(img, pts, pal.shirt_dark)
    # lighter front panel: the torso shrunk toward its centre line (cylinder shading)
    mid = (neck + hip) / 2
    inner = pts.copy()
    inner = mid + (inner - mid) * np.array([0.8, 1.0])
    inner[5:7] = pts[5:7]
    _poly(img, inner, pal.shirt)
    # collar / neckline
    nl = neck - down * 0.13 * s
    if app.collar == "v":
        v = np.array([nl - xdir * 0.16 * s, nl + xdir * 0.16 * s, nl + down * 0.3 * s])
        _convex(img, v, pal.skin_dark)
        _polyline(img, v[[0, 2, 1]], pal.shirt_light, max(1.5, 0.03 * s))
    else:
        c = nl + down * 0.05 * s
        cv2.ellipse(
            img, tuple(_fx(c)), (int(0.17 * s * _ONE), int(0.12 * s * _ONE)),
            float(np.degrees(np.arctan2(xdir[1], xdir[0]))), 0, 180, pal.skin_dark, -1, _AA, _SHIFT,
        )  # fmt: skip
        cv2.ellipse(
            img, tuple(_fx(c)), (int(0.17 * s * _ONE), int(0.12 * s * _ONE)),
            float(np.degrees(np.arctan2(xdir[1], xdir[0]))), 0, 180, pal.shirt_light,
            max(1, int(0.03 * s)), _AA, _SHIFT,
        )  # fmt: skip


def _draw_neck(img, kp, m, head, pal: _Palette, s: float) -> None:
    if not m[sk.NECK] or head is None:
        return
    neck = kp[sk.NECK]
    centre, right, up, width, has_face = head
    rn = right / (np.linalg.norm(right) + 1e-9)
    top = kp[_F + 8] - up * 0.1 * width if has_face and m[_F + 8] else centre - up * width * 0.45
    w_top, w_bot = 0.3 * width, 0.17 * s
    pts = np.array([
        top - rn * w_top, top + rn * w_top, neck + np.array([w_bot * 0.9, -0.04 * s]),
        neck + np.array([-w_bot * 0.9, -0.04 * s]),
    ])  # fmt: skip
    _convex(img, pts, pal.skin_dark)


def _draw_head(img, kp, m, head, app: Appearance, pal: _Palette, s: float) -> None:
    if head is None:
        return
    centre, right, up, width, has_face = head
    rn = right / (np.linalg.norm(right) + 1e-9)
    half = np.linalg.norm(right)
    # ears
    for sign in (-1, 1):
        ear_c = centre + sign * rn * half * 1.02 - up * width * 0.02
        ang = float(np.degrees(np.arctan2(up[1], up[0])))
        axes = (int(width * 0.16 * _ONE), int(width * 0.075 * _ONE))
        cv2.ellipse(img, tuple(_fx(ear_c)), axes, ang, 0, 360, pal.skin_dark, -1, _AA, _SHIFT)
    # face shape: jaw + forehead arc
    angles = np.linspace(0, np.pi, 13)[1:-1]
    if has_face:
        jaw = kp[_JAW]
        top_h = width * 0.7
        arc = [
            centre
            + right * np.sign(np.cos(a)) * abs(np.cos(a)) ** 0.8
            + up * top_h * np.sin(a) ** 0.8
            for a in angles
        ]
        face = np.concatenate([jaw, np.array(arc)], 0)
    else:
        face_h = width * 1.25
        ts = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        face = np.array([centre + right * np.cos(t) + up * face_h * 0.5 * np.sin(t) for t in ts])
    _poly(img, face, pal.skin)
    _polyline(img, face, pal.skin_dark, 1.0, closed=True)
    # hair front: the cranium cap down to the hairline, side strands by style
    style = app.hair_style
    if style == "bun":
        _circle(img, centre + up * width * 0.86, width * 0.2, pal.hair_dark)
    outer = [
        centre
        + right * 1.08 * np.sign(np.cos(a)) * abs(np.cos(a)) ** 0.8
        + up * width * 0.8 * np.sin(a) ** 0.8
        for a in np.linspace(0.0, np.pi, 15)
    ]
    side = {"short": 0.02, "bun": 0.06, "bob": 0.55, "long": 0.62}.get(style, 0.05)
    inner_x = 0.98 if style in ("short", "bun") else 0.86
    part = -0.25 if style in ("short", "bob") else 0.0
    hairline = [
        centre - right * inner_x + up * width * 0.06,
        centre - right * 0.72 + up * width * 0.3,
        centre + right * part + up * width * 0.42,
        centre + right * 0.75 + up * width * 0.3,
        centre + right * inner_x + up * width * 0.06,
    ]
    low = [centre + right * 1.07 - up * width * side, centre - right * 1.07 - up * width * side]
    cap = outer + [low[1], centre - right * inner_x - up * width * side] + hairline
    cap += [centre + right * inner_x - up * width * side, low[0]]
    _poly(img, np.array(cap), pal.hair)
    # highlight strand
    hl = [centre + right * 0.6 * np.cos(a) + up * width * 0.72 * np.sin(a) for a in (1.0, 1.4, 1.8)]
    _polyline(img, np.array(hl), _shade(app.hair, 1.35), max(1.0, width * 0.03))
    if has_face:
        _draw_features(img, kp, m, width, pal)
    else:
        for e in (11, 12):
            if m[e]:
                _circle(img, kp[e], width * 0.05, pal.iris)


def _draw_features(img, kp, m, width: float, pal: _Palette) -> None:
    f = _F
    lw = max(1.0, width * 0.035)
    # cheeks
    for c in (f + 2, f + 14):
        if m[c] and m[f + 30]:
            p = kp[c] * 0.6 + kp[f + 30] * 0.4
            _circle(img, p, width * 0.07, pal.cheek)
    # brows
    for a in (17, 22):
        idx = np.arange(f + a, f + a + 5)
        if m[idx].all():
            _polyline(img, kp[idx], pal.brow, max(1.5, width * 0.032))
    # eyes
    for a, pupil in ((36, 68), (42, 69)):
        idx = np.arange(f + a, f + a + 6)
        if not m[idx].all():
            continue
        eye = kp[idx]
        h = np.linalg.norm(eye[[1, 2]].mean(0) - eye[[4, 5]].mean(0))
        if h > 0.6:
            _poly(img, eye, pal.white)
            if m[f + pupil]:
                r = min(h * 0.55, width * 0.055)
                _circle(img, kp[f + pupil], r, pal.iris)
                _circle(img, kp[f + pupil], r * 0.45, (20, 16, 16))
        _polyline(img, eye[:4], (40, 30, 30), lw)
    # nose
    idx = np.arange(f + 27, f + 31)
    if m[idx].all():
        _polyline(img, kp[idx[1:]], pal.skin_dark, lw)
    idx = np.arange(f + 31, f + 36)
    if m[idx].all():
        _polyline(img, kp[idx], pal.skin_line, lw)
    # mouth
    outer = np.arange(f + 48, f + 60)
    inner = np.arange(f + 60, f + 68)
    if m[outer].all():
        _poly(img, kp[outer], pal.lips)
        if m[inner].all():
            ip = kp[inner]
            gap = np.linalg.norm(ip[[1, 2, 3]].mean(0) - ip[[5, 6, 7]].mean(0))
            if gap > 0.8:
                _poly(img, ip, pal.mouth)
            else:
                _polyline(img, ip[[0, 1, 2, 3, 4]], _shade(pal.lips, 0.6), 1.0)


_FINGER_W = np.array([0.12, 0.105, 0.105, 0.098, 0.088])  # of hand length (wrist-middle tip)


def _draw_arm(img, kp, m, side: str, app: Appearance, pal: _Palette, s: float) -> None:
    if side == "right":
        sh, el, wr, hand = sk.R_SHOULDER, sk.R_ELBOW, sk.R_WRIST, sk.RIGHT_HAND
    else:
        sh, el, wr, hand = sk.L_SHOULDER, sk.L_ELBOW, sk.L_WRIST, sk.LEFT_HAND
    wrist = kp[wr] if m[wr] else (kp[hand.start] if m[hand.start] else None)
    w_up, w_fore = 0.21 * s, 0.16 * s
    sleeve = pal.shirt
    fore_col = (pal.shirt, pal.shirt_dark, pal.shirt_light)
    if app.sleeves == "short":
        fore_col = (pal.skin, pal.skin_line, pal.skin_light)
    if m[sh] and m[el]:
        _limb(img, kp[sh], kp[el], sleeve, pal.shirt_dark, pal.shirt_light, w_up)
    if m[el] and wrist is not None:
        if app.sleeves == "short":
            mid = kp[el] + (wrist - kp[el]) * 0.12
            _limb(img, mid, wrist, *fore_col, w_fore * 0.85)
            _circle(img, kp[el], w_up * 0.5, pal.shirt)
            _line(img, kp[el], mid, pal.shirt, w_up * 0.95)
        else:
            _limb(img, kp[el], wrist, *fore_col, w_fore)
            _circle(img, kp[el], w_fore * 0.5, pal.shirt)
            # cuff
            d = wrist - kp[el]
            cuff = wrist - d / (np.linalg.norm(d) + 1e-9) * 0.06 * s
            _line(
                img, cuff, wrist - d / (np.linalg.norm(d) + 1e-9) * 0.01 * s, pal.shirt_dark, w_fore
            )
    _draw_hand(img, kp, m, hand, wrist, pal, s)


def _draw_hand(img, kp, m, hand: slice, arm_wrist, pal: _Palette, s: float) -> None:
    hidx = np.arange(hand.start, hand.stop)
    hm = m[hidx]
    if hm.sum() < 10 or not hm[0]:
        return
    h = kp[hidx]
    # hand length from wrist -> middle knuckle (0.47 hand lengths in every handshape)
    if hm[9]:
        hl = np.linalg.norm(h[9] - h[0]) / 0.47
    else:
        hl = 0.46 * s
    hl = float(np.clip(hl, 0.25 * s, 0.7 * s))
    widths = np.maximum(_FINGER_W * hl, 2.0)
    # palm
    base = [0] + [i for i in (1, 5, 9, 13, 17) if hm[i]]
    pts = h[base]
    knuckles = [i for i in (5, 17) if hm[i]]
    if len(knuckles) == 2:
        across = h[5] - h[17]
    else:
        across = _perp(h[9] - h[0]) * hl * 0.3 if hm[9] else np.array([hl * 0.3, 0.0])
    wrist_w = across * 0.32
    pts = np.concatenate([pts, [h[0] + wrist_w, h[0] - wrist_w]], 0)
    hull = cv2.convexHull(pts.astype(np.float32)).reshape(-1, 2)
    # outline by drawing a slightly grown hull first
    c = hull.mean(0)
    grown = c + (hull - c) * 1.0 + np.sign(hull - c) * 0.6
    _convex(img, grown, pal.skin_line)
    _convex(img, hull, pal.skin)
    # fingers: outline + fill per finger so crossing fingers stay readable
    order = (4, 3, 2, 1, 0)  # pinky first, thumb last
    for f in order:
        chain = [1 + 4 * f + k for k in range(4)] if f > 0 else [1, 2, 3, 4]
        chain = chain if f == 0 else [0] + chain
        w = widths[f]
        segs = []
        for a, b in zip(chain[:-1], chain[1:]):
            if f > 0 and a == 0:
                continue  # the palm covers wrist -> knuckle
            if hm[a] and hm[b]:
                segs.append((h[a], h[b]))
        for a, b in segs:
            _line(img, a, b, pal.skin_line, w + 2)
        for a, b in segs:
            _line(img, a, b, pal.skin, w)
        tip = chain[-1]
        if hm[tip] and segs:
            _circle(img, h[tip], w * 0.5, pal.skin)
    # knuckle creases
    for i in (6, 10, 14, 18):
        if hm[i]:
            _circle(img, h[i], max(0.6, widths[1] * 0.12), pal.skin_dark)


# ---------------------------------------------------------------------------- public API


def _front_flags(front_hand, t_len: int) -> np.ndarray:
    """Per-frame True where the right hand is in front."""
    if front_hand is None:
        return np.ones(t_len, bool)
    if isinstance(front_hand, str):
        if front_hand not in ("left", "right"):
            raise ValueError(f"front_hand must be 'left' or 'right', got {front_hand!r}")
        return np.full(t_len, front_hand == "right")
    arr = np.asarray(front_hand)
    if arr.dtype.kind in "US":
        return arr.reshape(t_len) == "right"
    return arr.astype(bool).reshape(t_len)


def render_frame(
    kp: np.ndarray,
    mask: np.ndarray,
    app: Appearance,
    size: int = FRAME_SIZE,
    right_in_front: bool = True,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """One frame [size, size, 3] uint8 from pixel keypoints [127, 2] (256-frame pixels)."""
    pal = _palette(app)
    img = out if out is not None else np.empty((size, size, 3), np.uint8)
    img[:] = _background(app, size)
    k = np.asarray(kp, np.float64) * (size / FRAME_SIZE)
    m = np.asarray(mask, bool)
    if m[sk.R_SHOULDER] and m[sk.L_SHOULDER]:
        s = float(np.linalg.norm(k[sk.R_SHOULDER] - k[sk.L_SHOULDER]))
        s = max(s, 0.3 * app.shoulder_width * size / FRAME_SIZE)
    else:
        s = app.shoulder_width * size / FRAME_SIZE
    head = _head_frame(k, m, s)
    _draw_hair_back(img, head, app, pal, s)
    _draw_torso(img, k, m, app, pal, s, size)
    _draw_neck(img, k, m, head, pal, s)
    _draw_head(img, k, m, head, app, pal, s)
    sides = ("left", "right") if right_in_front else ("right", "left")
    for side in sides:
        _draw_arm(img, k, m, side, app, pal, s)
    return img


def render_avatar(
    keypoints: np.ndarray,
    mask: np.ndarray | None = None,
    appearance: str | int | Appearance | None = None,
    size: int = FRAME_SIZE,
    front_hand=None,
) -> np.ndarray:
    """Draw the avatar for keypoints in the 256 x 256 pixel space of the signer's frame.

    ``keypoints`` [T, 127, 2] (-> uint8 [T, size, size, 3]) or [127, 2] (-> [size, size, 3]).
    ``mask`` True where a point exists (default: :func:`skeleton.missing_mask`).
    ``front_hand``: None (right hand in front), "left"/"right", or per frame a sequence of
    "left"/"right" strings or booleans (True = right hand in front).
    Normalised keypoints: place them with :func:`.placement.to_pixels` first; anyone
    else's pixels: :func:`.placement.retarget`.
    """
    kp = np.asarray(keypoints, np.float32)
    single = kp.ndim == 2
    if single:
        kp = kp[None]
    if kp.ndim != 3 or kp.shape[1:] != (sk.NUM_POINTS, 2):
        raise ValueError(f"keypoints must be [T, 127, 2] or [127, 2], got {np.shape(keypoints)}")
    m = sk.missing_mask(kp) if mask is None else np.asarray(mask, bool).reshape(kp.shape[:2])
    app = get_appearance(appearance)
    flags = _front_flags(front_hand, len(kp))
    frames = np.empty((len(kp), size, size, 3), np.uint8)
    for t in range(len(kp)):
        render_frame(kp[t], m[t], app, size, bool(flags[t]), out=frames[t])
    return frames[0] if single else frames


__all__ = ["render_avatar", "render_frame"]
