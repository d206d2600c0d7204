"""The parametric signer: a gloss sequence -> clean 127-point keypoints + gloss spans.

Pipeline of :func:`synthesize`:

1. every gloss's form (:mod:`sign_pipeline.inventory.forms`) becomes a *stroke*: per frame
   the contact point of each hand (location + movement path), its palm orientation and
   its handshape (finger joint angles; handshape changes, finger wiggles, forearm twists);
2. strokes are joined by minimum-jerk transitions whose length grows with the distance
   and shrinks with the signer's speed; the end of a sign drifts toward the next location
   and the next handshape starts forming before the hand arrives (coarticulation); the
   final sign is lengthened (prosody); a resting pose comes before the first and after
   the last sign;
3. the face: per-sign non-manual marks, question marks (wh: furrowed brows, yes/no:
   raised brows, both with the head tilted forward), negation (head shake, furrow, mouth
   corners down), blinks and idle head motion;
4. kinematics: arm inverse kinematics to the wanted wrist positions (elbow below/outside,
   the hand rotated back into the wrist's range), hand forward kinematics, head and face.

All geometry is in body units (neck origin, shoulder width 1, x image-right, y down,
z toward the camera) and mapped to the signer's 256 x 256 pixels at the end. Detection
noise is added separately (:mod:`training.corpus.noise`) to the written keypoints only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import uniform_filter1d

from sign_pipeline import skeleton as sk
from sign_pipeline.inventory.forms import FACE_LOCATIONS, SignForm, get_form, load_handshapes
from sign_pipeline.motion import minimum_jerk_profile
from training.corpus import kinematics as kin
from training.corpus.signer_styles import SignerStyle

# ---------------------------------------------------------------------------- constants

#: Glosses that carry a negation (head shake, furrowed brows, mouth corners down).
NEGATION_GLOSSES = frozenset({"아니다", "안되다", "못하다", "없다", "모르다", "불가능"})
#: Glosses that make a wh-question.
WH_GLOSSES = frozenset(
    {"어디", "몇", "얼마", "어떻게", "무엇", "왜", "누구", "언제", "얼마나", "몇호"}
)

# Stroke lengths (frames at speed 1) per movement.
_STROKE = {
    "hold": 9,
    "straight": 11,
    "arc": 12,
    "circle": 16,
    "repeated": 15,
    "wiggle": 14,
    "twist": 14,
}
_PRE, _POST = 2, 3
#: Stroke size in shoulder widths at amplitude 1: the length of straight and arc paths;
#: circles, repeats, holds, wiggles and twists scale from it. With the transitions below it
#: sets how fast the signing moves: tuned so that the corpus's sentences and the lexicon
#: backend's output reach real KSL wrist speeds (``training.corpus.stats``).
AMPLITUDE = 0.75
#: Citation form (WORD clips): strokes this much longer and larger (signs inside a
#: sentence are reduced), holds before / after (frames).
CITATION_STRETCH = 1.5
CITATION_AMPLITUDE = 1.25
CITATION_HOLDS = (6, 10)
#: Frames of a transition between signs: (base + per shoulder width travelled) / tempo,
#: clipped to the range.
TRANSITION_FRAMES = (3.5, 8.0)
TRANSITION_RANGE = (3, 14)
#: Path sizes of the small movements, as fractions of the stroke size: a hold's placement
#: (in and back out), a wiggle's sway, a twist's bob.
HOLD_MOVE, WIGGLE_SWAY, TWIST_BOB = 0.2, 0.15, 0.15
#: Stroke size at the face (forehead .. ear) relative to elsewhere.
FACE_AMPLITUDE = 0.5

# Palm normal and finger direction of each orientation for the RIGHT hand (x = contra).
_ORIENT = {
    "out_up": ((0.0, 0.0, 1.0), (0.22, -1.0, 0.05)),
    "in_up": ((0.0, 0.0, -1.0), (0.22, -1.0, 0.05)),
    "contra_up": ((1.0, 0.0, 0.15), (0.15, -1.0, 0.1)),
    "out_contra": ((0.0, 0.0, 1.0), (1.0, -0.25, 0.05)),
    "in_contra": ((0.0, 0.0, -1.0), (1.0, -0.2, 0.05)),
    "down_contra": ((0.0, 1.0, 0.1), (1.0, -0.1, 0.25)),
    "up_contra": ((0.0, -1.0, 0.1), (1.0, -0.1, 0.25)),
    "down_out": ((0.0, 1.0, 0.0), (0.25, 0.3, 1.0)),
    "up_out": ((0.0, -1.0, 0.0), (0.25, -0.3, 1.0)),
    "contra_out": ((1.0, 0.0, 0.0), (0.2, -0.45, 1.0)),
    "out_down": ((0.0, 0.0, 1.0), (0.2, 1.0, 0.1)),
    "in_down": ((0.0, 0.0, -1.0), (0.2, 1.0, 0.2)),
}
_DIRS = {
    "up": (0.0, -1.0, 0.0), "down": (0.0, 1.0, 0.0), "ipsi": (-1.0, 0.0, 0.0),
    "contra": (1.0, 0.0, 0.0), "out": (0.1, 0.45, 1.0), "in": (-0.1, -0.45, -1.0),
    "up_contra": (0.7, -0.7, 0.0), "down_ipsi": (-0.7, 0.7, 0.0),
}  # fmt: skip
#: Contact point in the hand frame (hand lengths): between the palm centre and knuckles.
CONTACT = np.array([0.36, 0.0, 0.05])
_TOUCH_LOCATIONS = set(FACE_LOCATIONS) | {
    "chest",
    "chest_ipsi",
    "shoulder_contra",
    "stomach",
    "hand",
}


def _unit(v) -> np.ndarray:
    v = np.asarray(v, np.float64)
    return v / (np.linalg.norm(v, axis=-1, keepdims=True) + 1e-12)


def _mirror(v: np.ndarray) -> np.ndarray:
    out = np.array(v, np.float64, copy=True)
    out[..., 0] *= -1
    return out


# ---------------------------------------------------------------------------- the body


@dataclass
class Body:
    """One signer's skeleton at rest, in body units."""

    style: SignerStyle
    shoulder_r: np.ndarray = field(init=False)
    shoulder_l: np.ndarray = field(init=False)
    hip_mid: np.ndarray = field(init=False)
    chin: np.ndarray = field(init=False)
    locations: dict[str, np.ndarray] = field(init=False)
    rest_r: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        a = self.style.appearance
        self.upper, self.fore, self.hand = a.upper_arm, a.forearm, a.hand
        self.face_width = a.face_width
        self.shoulder_r = np.array([-0.5, a.shoulder_drop, 0.0])
        self.shoulder_l = np.array([0.5, a.shoulder_drop, 0.0])
        self.hip_mid = np.array([0.0, a.torso, 0.0])
        self.hip_half = a.hip_width / 2
        self.chin = np.array([0.0, -a.chin, 0.16])
        face = kin.face_points(self.chin[None], np.eye(3)[None], a.face_width, {})[0]  # [70, 3]
        fw = a.face_width
        zf = self.chin[2] + 0.34 * fw  # in front of the face
        brow = face[17:27].mean(0)
        mouth = face[48:68].mean(0)
        # locations of the RIGHT (dominant) hand's contact point; x < 0 is its side
        loc = {
            "forehead": np.array([brow[0] - 0.05, brow[1] - 0.16 * fw, zf]),
            "eyes": np.array([face[36, 0] - 0.02, face[36:42, 1].mean(), zf - 0.04]),
            "nose": np.array([face[30, 0] - 0.03, face[30, 1], zf + 0.05]),
            "mouth": np.array([mouth[0] - 0.03, mouth[1], zf]),
            "chin": np.array([face[8, 0] - 0.02, face[8, 1] - 0.02, zf - 0.03]),
            "cheek": np.array([0.5 * (face[3, 0] + face[31, 0]), face[31, 1], zf - 0.08]),
            "ear": np.array([face[0, 0] - 0.08, face[0, 1] + 0.05, self.chin[2] - 0.1]),
            "chest": np.array([-0.1, 0.42, 0.3]),
            "chest_ipsi": np.array([-0.3, 0.36, 0.28]),
            "shoulder_contra": np.array([0.34, 0.14, 0.26]),
            "stomach": np.array([-0.06, 0.92, 0.33]),
            "neutral": np.array([-0.14, 0.6, 0.62]),
            "neutral_high": np.array([-0.14, 0.12, 0.62]),
            "neutral_low": np.array([-0.12, 0.92, 0.52]),
            "neutral_ipsi": np.array([-0.58, 0.48, 0.5]),
            "neutral_contra": np.array([0.28, 0.55, 0.55]),
            "spell": np.array([-0.42, 0.14, 0.55]),
            "base": np.array([0.16, 0.68, 0.52]),  # the base hand of two-handed signs
            "idle": np.array([-0.3, 1.02, 0.42]),  # the idle (waiting) non-dominant hand
        }
        self.locations = loc
        self.rest_r = np.array([-0.2, 1.16, 0.36])  # contact point of the resting hand

    def location(self, name: str, side: str) -> np.ndarray:
        p = self.locations[name].copy()
        return p if side == "right" else _mirror(p)


def orientation_matrix(name: str, side: str) -> np.ndarray:
    n, u = _ORIENT[name]
    n, u = np.array(n), np.array(u)
    if side == "left":
        n, u = _mirror(n), _mirror(u)
    return kin.hand_frame(n, u, side)


def _rest_quat(side: str) -> np.ndarray:
    n = np.array([0.3, -0.2, -1.0])
    u = np.array([0.75, 0.9, 0.1])
    if side == "left":
        n, u = _mirror(n), _mirror(u)
    return kin.quat_from_matrix(kin.hand_frame(n, u, side))


# ---------------------------------------------------------------------------- hand tracks


@dataclass
class Track:
    """Per-frame state of one hand: contact point, orientation, joint angles."""

    pos: np.ndarray  # [n, 3]
    quat: np.ndarray  # [n, 4]
    shape: np.ndarray  # [n, 20]

    def __len__(self) -> int:
        return len(self.pos)

    @staticmethod
    def hold(pos, quat, shape, n: int) -> Track:
        return Track(
            np.repeat(np.asarray(pos, np.float64)[None], n, 0),
            np.repeat(np.asarray(quat, np.float64)[None], n, 0),
            np.repeat(np.asarray(shape, np.float64)[None], n, 0),
        )

    def first(self):
        return self.pos[0], self.quat[0], self.shape[0]

    def last(self):
        return self.pos[-1], self.quat[-1], self.shape[-1]

    @staticmethod
    def concat(parts: list[Track]) -> Track:
        return Track(
            np.concatenate([p.pos for p in parts]),
            np.concatenate([p.quat for p in parts]),
            np.concatenate([p.shape for p in parts]),
        )


def transition(a: tuple, b: tuple, n: int, lift: float = 0.0) -> Track:
    """n frames of minimum-jerk motion strictly between states a and b."""
    if n <= 0:
        return Track(np.zeros((0, 3)), np.zeros((0, 4)), np.zeros((0, kin.N_ANGLES)))
    s = minimum_jerk_profile((np.arange(n) + 1) / (n + 1))
    p0, q0, h0 = a
    p1, q1, h1 = b
    pos = p0 + (p1 - p0) * s[:, None]
    if lift:
        # a slight outward/upward bulge keeps transitions from sliding along the body
        d = np.linalg.norm(p1 - p0)
        pos += np.array([0.0, -0.35, 1.0]) * (lift * d * np.sin(np.pi * s))[:, None]
    quat = kin.slerp(np.broadcast_to(q0, (n, 4)), np.broadcast_to(q1, (n, 4)), s)
    shape = h0 + (h1 - h0) * s[:, None]
    return Track(pos, quat, shape)


# ---------------------------------------------------------------------------- strokes


@dataclass
class SignPlan:
    """One gloss ready to join: dominant and non-dominant stroke tracks (None = idle)."""

    gloss: str
    form: SignForm
    dom: Track
    nondom: Track | None
    n_pre: int
    n_post: int
    front_right: bool = True  # dominant hand in front


def _shape(name: str) -> np.ndarray:
    return kin.handshape_vector(load_handshapes()[name])


def _path(form: SignForm, start: np.ndarray, n: int, amp: float, side: str, rng) -> np.ndarray:
    """Contact point positions [n, 3] of a stroke starting around ``start``."""
    tau = np.linspace(0.0, 1.0, n)
    mv = form.movement
    direction = np.array(_DIRS.get(form.direction or "", (0.0, 0.0, 0.0)))
    if side == "left":
        direction = _mirror(direction)
    direction = _unit(direction) if np.linalg.norm(direction) else direction
    touch = form.location in _TOUCH_LOCATIONS
    if form.direction in ("out", "in"):
        amp *= 1.3  # movement in depth is foreshortened in the image
    if mv == "hold":
        bump = np.sin(np.pi * tau)[:, None] * _unit([0.45, -0.75, 0.4])
        return start + HOLD_MOVE * amp * bump
    if mv == "straight":
        s = minimum_jerk_profile(tau)
        offset = 0.0 if touch else -0.5
        return start + direction * amp * (s + offset)[:, None]
    if mv == "arc":
        s = minimum_jerk_profile(tau)
        perp = np.cross(direction, [0.0, 0.0, 1.0])
        if np.linalg.norm(perp) < 1e-6:
            perp = np.array([0.0, -1.0, 0.0])
        perp = _unit(perp)
        if perp[1] > 0:
            perp = -perp  # arcs bulge upward
        offset = 0.0 if touch else -0.5
        return (
            start
            + direction * amp * (s + offset)[:, None]
            + perp * (0.4 * amp * np.sin(np.pi * s))[:, None]
        )
    if mv == "repeated":
        reps = 2
        s = 0.5 - 0.5 * np.cos(2 * np.pi * reps * minimum_jerk_profile(tau))
        return start + direction * (0.55 * amp * s)[:, None]
    if mv == "circle":
        r = 0.42 * amp
        s = minimum_jerk_profile(tau)
        sign = -1.0 if form.direction == "ccw" else 1.0
        if side == "left":
            sign = -sign
        phi = sign * 2 * np.pi * s
        if form.direction == "horizontal":
            a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.15, 1.0])
        else:
            a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
        circ = (np.cos(phi) - 1)[:, None] * a * r + np.sin(phi)[:, None] * b * r
        return start + circ + (a * r * 0.5)
    if mv == "wiggle":
        sway = np.sin(2 * np.pi * 1.5 * tau)[:, None] * np.array([1.0, 0.0, 0.0])
        return start + WIGGLE_SWAY * amp * sway
    if mv == "twist":
        return start + TWIST_BOB * amp * np.sin(np.pi * tau)[:, None] * np.array([0.0, -1.0, 0.0])
    raise ValueError(f"unknown movement {mv!r}")


def _stroke_track(
    form: SignForm, body: Body, style: SignerStyle, side: str, n: int, rng, start=None,
    amp_scale: float = 1.0, handshape: str | None = None, handshape_end: str | None = None,
    orientation: str | None = None, mirror_of: Track | None = None,
) -> Track:  # fmt: skip
    """The stroke of one hand, n frames."""
    amp = AMPLITUDE * style.amplitude * amp_scale * float(rng.uniform(0.88, 1.12))
    if form.location == "spell":
        amp *= 0.45
    elif form.location in FACE_LOCATIONS:
        amp *= FACE_AMPLITUDE  # small movements at the face keep the hand in the picture
    if start is None:
        start = body.location(form.location, side)
    pos = _path(form, start, n, amp, side, rng)
    rot = orientation_matrix(orientation or form.orientation, side)
    rots = np.repeat(rot[None], n, 0)
    tau = np.linspace(0, 1, n)
    if form.movement == "twist":
        ang = 0.75 * np.sin(2 * np.pi * 1.5 * minimum_jerk_profile(tau)) * style.amplitude
        axis = rot[:, 0]
        rots = kin.axis_angle(np.broadcast_to(axis, (n, 3)), ang) @ rots
    quat = kin.quat_from_matrix(rots)
    h0 = _shape(handshape or form.handshape)
    shape = np.repeat(h0[None], n, 0)
    end = handshape_end if handshape_end is not None else form.handshape_end
    if end:
        w = minimum_jerk_profile((tau - 0.25) / 0.5)
        shape = h0 + (_shape(end) - h0) * w[:, None]
    if form.movement == "wiggle":
        for f in range(4):
            osc = 0.35 * np.sin(2 * np.pi * 3.0 * tau + f * np.pi / 2) * np.sin(np.pi * tau)
            shape[:, 5 + 4 * f] += np.maximum(osc, -0.2)
            shape[:, 6 + 4 * f] += 0.6 * np.maximum(osc, -0.1)
    return Track(pos, quat, shape)


def plan_sign(
    gloss: str, body: Body, style: SignerStyle, rng, tempo: float, lengthen: float = 1.0,
    citation: bool = False,
) -> SignPlan:  # fmt: skip
    """The strokes of one gloss for the right-dominant signer."""
    form = get_form(gloss)
    base_n = _STROKE[form.movement] + (3 if form.handshape_end else 0)
    if form.location == "spell":
        base_n = max(7, base_n - 3)
    n = base_n * lengthen / tempo * float(rng.uniform(0.88, 1.12))
    n_pre, n_post = _PRE, _POST
    if citation:
        n = max(n * CITATION_STRETCH, 16 / tempo**0.5)
        n_pre, n_post = CITATION_HOLDS
    elif lengthen > 1:
        n_post = int(round(_POST + 4 * (lengthen - 1) / 0.4))
    n = max(5, int(round(n)))
    size = CITATION_AMPLITUDE if citation else 1.0
    front_right = True
    if form.hands == "one":
        dom = _stroke_track(form, body, style, "right", n, rng, amp_scale=size)
        nondom = None
    elif form.hands == "sym":
        sep = np.array([-0.17, 0.0, 0.0])
        start = body.location(form.location, "right") + sep
        if form.location in ("neutral_ipsi",):
            start = start - sep
        dom = _stroke_track(form, body, style, "right", n, rng, start=start, amp_scale=size)
        nondom_pos = _mirror(dom.pos)
        # the non-dominant hand follows with slightly less amplitude
        centre = nondom_pos[:1]
        nondom_pos = centre + (nondom_pos - centre) * 0.8
        # the mirror image of a right-hand frame is the left-hand frame: reflect x
        mats_l = np.diag([-1.0, 1.0, 1.0]) @ kin.matrix_from_quat(dom.quat)
        nondom = Track(nondom_pos, kin.quat_from_matrix(mats_l), dom.shape.copy())
    else:  # dominant over base hand
        base_c = body.location("base", "left")
        rot_b = orientation_matrix(form.base_orientation, "left")
        normal = rot_b[:, 2]
        base_shape = _shape(form.base_handshape)
        if form.location == "hand":
            start = base_c + normal * 0.12 * body.hand / 0.46 + np.array([-0.04, 0.0, 0.03])
        else:
            start = body.location(form.location, "right")
        dom = _stroke_track(form, body, style, "right", n, rng, start=start, amp_scale=0.8 * size)
        # the base hand reacts a little to the dominant hand's movement
        react = (dom.pos - dom.pos[:1]) * 0.12
        nondom = Track(
            base_c + react,
            np.repeat(kin.quat_from_matrix(rot_b)[None], n, 0),
            np.repeat(base_shape[None], n, 0),
        )
    return SignPlan(gloss, form, dom, nondom, n_pre, n_post, front_right)


# ---------------------------------------------------------------------------- the timeline


@dataclass
class Timeline:
    """Everything :func:`synthesize` decided, per frame."""

    dom: Track
    nondom: Track
    spans: list[tuple[str, int, int]]  # gloss, start, end (exclusive)
    sign_ranges: list[tuple[int, int]]  # frames of each sign (pre-hold .. post-hold)
    front_right: np.ndarray  # [T] bool
    transitions: list[tuple[int, int]] = field(default_factory=list)  # dominant, frames


def _idle_state(body: Body, rng, resting: bool) -> tuple:
    shape = _shape("relaxed")
    if resting:
        pos = _mirror(body.rest_r) + rng.normal(0, 0.01, 3)
        return pos, _rest_quat("left"), shape
    pos = body.location("idle", "left") + rng.normal(0, 0.015, 3)
    n = np.array([-0.4, -0.5, -0.6])
    u = np.array([-0.8, 0.55, 0.3])
    return pos, kin.quat_from_matrix(kin.hand_frame(n, u, "left")), shape


def build_timeline(
    glosses: list[str], style: SignerStyle, body: Body, rng, citation: bool = False
) -> Timeline:
    """Join the signs of ``glosses`` into one per-frame track per hand."""
    tempo = style.speed * float(rng.uniform(0.93, 1.07))
    plans = []
    for i, g in enumerate(glosses):
        final = i == len(glosses) - 1
        lengthen = 1.0 if citation or not final or len(glosses) == 1 else 1.35
        plans.append(plan_sign(g, body, style, rng, tempo, lengthen, citation))

    rest_r = (body.rest_r + rng.normal(0, 0.01, 3), _rest_quat("right"), _shape("relaxed"))
    rest_l = _idle_state(body, rng, resting=True)
    n_rest0 = int(rng.integers(10, 19))
    n_rest1 = int(rng.integers(8, 15))

    dom_parts: list[Track] = [Track.hold(*rest_r, n_rest0)]
    windows: list[tuple[int, int]] = []  # dominant transitions (start, end) frame ranges
    sign_ranges: list[tuple[int, int]] = []
    t = n_rest0
    prev_end = rest_r
    for i, plan in enumerate(plans):
        start_state = plan.dom.first()
        dist = float(np.linalg.norm(start_state[0] - prev_end[0]))
        if i == 0:
            n_tr = int(round((10 + 7 * dist) / tempo**0.5 * rng.uniform(0.9, 1.1)))
        else:
            base, per_sw = TRANSITION_FRAMES
            n_tr = int(round((base + per_sw * dist) / tempo * rng.uniform(0.9, 1.1)))
            n_tr = int(np.clip(n_tr, *TRANSITION_RANGE))
        tr = transition(prev_end, start_state, n_tr, lift=0.15 if i == 0 else 0.08)
        dom_parts.append(tr)
        windows.append((t, t + n_tr))
        t += n_tr
        # coarticulation: the next sign's start is pulled toward the previous end, the
        # end drifts toward the next sign's start
        nxt = plans[i + 1].dom.first()[0] if i + 1 < len(plans) else None
        pre = Track.hold(*start_state, plan.n_pre)
        if i > 0:
            w = np.linspace(0.08, 0.0, plan.n_pre)[:, None]
            pre.pos = pre.pos + w * (prev_end[0] - start_state[0])
        end_state = plan.dom.last()
        post = Track.hold(*end_state, plan.n_post)
        if nxt is not None:
            w = np.linspace(0.0, 0.12, plan.n_post)[:, None]
            post.pos = post.pos + w * (nxt - end_state[0])
        sign_ranges.append((t, t + plan.n_pre + len(plan.dom) + plan.n_post))
        dom_parts += [pre, plan.dom, post]
        t += plan.n_pre + len(plan.dom) + plan.n_post
        prev_end = post.last()
    n_tr = int(round((12 + 5 * float(np.linalg.norm(prev_end[0] - rest_r[0]))) / tempo**0.5))
    dom_parts.append(transition(prev_end, rest_r, n_tr, lift=0.05))
    windows.append((t, t + n_tr))
    t += n_tr
    dom_parts.append(Track.hold(*rest_r, n_rest1))
    dom = Track.concat(dom_parts)
    total = len(dom)

    # spans: contiguous, boundaries in the middle of the transitions
    spans = []
    for i, plan in enumerate(plans):
        s0, e0 = sign_ranges[i]
        start = s0 if i == 0 else (windows[i][0] + windows[i][1]) // 2
        end = e0 if i == len(plans) - 1 else (windows[i + 1][0] + windows[i + 1][1]) // 2
        spans.append((plan.gloss, int(start), int(end)))

    _anticipate_shapes(dom, windows, plans, sign_ranges)
    nondom, front = _nondominant(plans, sign_ranges, windows, dom, body, style, rng, rest_l, total)
    return Timeline(dom, nondom, spans, sign_ranges, front, windows)


def _anticipate_shapes(dom: Track, windows, plans, sign_ranges) -> None:
    """Start each handshape change a few frames before the hand leaves the previous sign."""
    for i in range(1, len(plans)):
        a, b = windows[i]
        prev_post = plans[i - 1].n_post
        k1 = min(3, prev_post)
        a2 = a - k1
        b2 = max(a2 + 2, b - 2)
        h0 = dom.shape[a2 - 1].copy()
        h1 = dom.shape[b].copy()
        n = b2 - a2
        s = minimum_jerk_profile((np.arange(n) + 1) / (n + 1))
        dom.shape[a2:b2] = h0 + (h1 - h0) * s[:, None]
        dom.shape[b2:b] = h1


def _nondominant(plans, sign_ranges, windows, dom: Track, body: Body, style, rng, rest_l, total):
    """The non-dominant hand: mirrors/holds in two-handed signs, waits or rests otherwise."""
    two = [p.nondom is not None for p in plans]
    targets: list[Track] = []
    # per sign: the track of the non-dominant hand during [pre .. post]
    for i, plan in enumerate(plans):
        s0, e0 = sign_ranges[i]
        n = e0 - s0
        if plan.nondom is not None:
            pre = Track.hold(*plan.nondom.first(), plan.n_pre)
            post = Track.hold(*plan.nondom.last(), plan.n_post)
            targets.append(Track.concat([pre, plan.nondom, post]))
        else:
            near = any(two[max(0, i - 1) : i + 2])
            state = _idle_state(body, rng, resting=not near)
            targets.append(Track.hold(*state, n))
    parts: list[Track] = []
    first_s = sign_ranges[0][0]
    # initial rest until the first transition; rising only if the first sign needs the hand
    first_target = targets[0].first()
    lead = windows[0][0]
    parts.append(Track.hold(*rest_l, lead))
    n_tr = first_s - lead
    parts.append(transition(rest_l, first_target, n_tr, lift=0.1))
    for i in range(len(plans)):
        parts.append(targets[i])
        if i + 1 < len(plans):
            a = sign_ranges[i][1]
            b = sign_ranges[i + 1][0]
            parts.append(transition(targets[i].last(), targets[i + 1].first(), b - a, lift=0.05))
    last_e = sign_ranges[-1][1]
    n_back = windows[-1][1] - last_e
    parts.append(transition(targets[-1].last(), rest_l, n_back, lift=0.0))
    parts.append(Track.hold(*rest_l, total - windows[-1][1]))
    nd = Track.concat(parts)
    assert len(nd) == total, (len(nd), total)
    # sympathetic motion: the idle hand follows the dominant hand a little (mirrored)
    vel = np.diff(dom.pos, axis=0, prepend=dom.pos[:1])
    follow = np.cumsum(_mirror(vel), axis=0) * style.nondominant_activity
    follow -= _smooth(follow, 25)  # keep only the short-term part
    idle = np.ones(total, bool)
    for i, plan in enumerate(plans):
        if plan.nondom is not None:
            s0, e0 = sign_ranges[i]
            idle[s0:e0] = False
    w = _smooth(idle.astype(np.float64), 7)[:, None]
    nd.pos = nd.pos + follow * w
    front = np.ones(total, bool)
    for i, plan in enumerate(plans):
        if plan.nondom is not None and plan.form.hands == "sym":
            s0, e0 = sign_ranges[i]
            front[s0:e0] = dom.pos[s0:e0, 2] + 0.02 >= nd.pos[s0:e0, 2]
    return nd, front


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Moving average along axis 0, the edges padded with the end values."""
    return uniform_filter1d(np.asarray(x, np.float64), width, axis=0, mode="nearest")


def smooth_noise(rng, n: int, sigma: float, period: float, dims: int = 1) -> np.ndarray:
    """Smooth random motion: knots every ``period`` frames, cubic-ish interpolation."""
    n_knots = int(np.ceil(n / period)) + 3
    knots = rng.normal(0, sigma, (n_knots, dims))
    x = np.arange(n) / period + 1
    i = np.floor(x).astype(int)
    f = (x - i)[:, None]
    f = f * f * (3 - 2 * f)
    out = knots[i] * (1 - f) + knots[i + 1] * f
    return out if dims > 1 else out[:, 0]


# ---------------------------------------------------------------------------- face channels


_EXPR = (
    "brow_raise",
    "brow_furrow",
    "mouth_open",
    "pursed",
    "stretched",
    "corners_down",
    "puffed",
    "blink",
)


def _ramp_window(total: int, s: int, e: int, ramp: int = 4) -> np.ndarray:
    w = np.zeros(total)
    t = np.arange(total)
    up = minimum_jerk_profile((t - (s - ramp)) / ramp)
    down = 1 - minimum_jerk_profile((t - e) / ramp)
    w = np.minimum(up, down)
    return np.clip(w, 0, 1)


def face_channels(
    glosses: list[str], sentence: str | None, timeline: Timeline, style: SignerStyle, rng
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Expression weights per frame and head rotations [T, 3, 3]."""
    total = len(timeline.dom)
    ex = {k: np.zeros(total) for k in _EXPR}
    yaw = smooth_noise(rng, total, 0.035 * style.sway, 24)
    pitch = smooth_noise(rng, total, 0.03 * style.sway, 30)
    roll = smooth_noise(rng, total, 0.025 * style.sway, 36)
    mouth_map = {
        "open": "mouth_open",
        "pursed": "pursed",
        "stretched": "stretched",
        "puffed": "puffed",
    }
    for (s0, e0), g in zip(timeline.sign_ranges, glosses):
        form = get_form(g)
        w = _ramp_window(total, s0, e0)
        if form.brows == "raised":
            ex["brow_raise"] = np.maximum(ex["brow_raise"], 0.8 * w)
        elif form.brows == "furrowed":
            ex["brow_furrow"] = np.maximum(ex["brow_furrow"], 0.7 * w)
        if form.mouth in mouth_map:
            k = mouth_map[form.mouth]
            amount = 0.55 if k == "mouth_open" else 0.8
            ex[k] = np.maximum(ex[k], amount * w)
        if g in NEGATION_GLOSSES:
            n = e0 - s0
            phase = np.clip((np.arange(total) - s0) / max(n, 1), 0, 1)
            yaw += 0.16 * np.sin(2 * np.pi * 2.0 * phase) * w
            ex["brow_furrow"] = np.maximum(ex["brow_furrow"], 0.6 * w)
            ex["corners_down"] = np.maximum(ex["corners_down"], 0.8 * w)
    # sentence-level question marks over the question part (to the end of the signing)
    wh_idx = [i for i, g in enumerate(glosses) if g in WH_GLOSSES]
    is_q = sentence is not None and sentence.rstrip().endswith("?")
    if wh_idx or is_q:
        i0 = wh_idx[0] if wh_idx else max(0, len(glosses) - 2)
        s0 = timeline.sign_ranges[i0][0]
        e0 = timeline.sign_ranges[-1][1] + 4
        w = _ramp_window(total, s0, e0, ramp=6)
        if wh_idx:
            ex["brow_furrow"] = np.maximum(ex["brow_furrow"], 0.9 * w)
            roll += 0.05 * w
        else:
            ex["brow_raise"] = np.maximum(ex["brow_raise"], 1.0 * w)
        pitch += 0.12 * w  # head tilted forward
    # blinks
    t = int(rng.integers(10, 60))
    while t < total - 5:
        blink = np.array([0.4, 1.0, 1.0, 0.6, 0.2])
        ex["blink"][t : t + 5] = np.maximum(ex["blink"][t : t + 5], blink)
        t += int(rng.integers(60, 140))
    return ex, kin.head_rotation(yaw, pitch, roll)


# ---------------------------------------------------------------------------- kinematics


def _wrist_from_contact(pos: np.ndarray, rot: np.ndarray, hand_len: float) -> np.ndarray:
    return pos - np.einsum("tij,j->ti", rot, CONTACT * hand_len)


def _solve_arm(shoulder, pos, quat, body: Body, outward: float):
    rot = kin.matrix_from_quat(quat)
    wrist = _wrist_from_contact(pos, rot, body.hand)
    elbow, wrist2 = kin.arm_ik(shoulder, wrist, body.upper, body.fore, outward)
    # keep the hand within the wrist's range: rotate fingers toward the forearm
    fore = _unit(wrist2 - elbow)
    u = rot[:, :, 0]
    cos = np.clip((u * fore).sum(-1), -1, 1)
    ang = np.arccos(cos)
    limit = np.deg2rad(95)
    excess = np.maximum(ang - limit, 0)
    if excess.any():
        axis = np.cross(u, fore)
        bad = np.linalg.norm(axis, axis=-1) < 1e-6
        axis[bad] = rot[bad, :, 1]
        fix = kin.axis_angle(axis, excess)
        rot = fix @ rot
        wrist = _wrist_from_contact(pos, rot, body.hand)
        elbow, wrist2 = kin.arm_ik(shoulder, wrist, body.upper, body.fore, outward)
    return elbow, wrist2, rot


@dataclass
class Synthesis:
    """Result of :func:`synthesize`."""

    keypoints: np.ndarray  # [T, 127, 2] float32 pixels (clean, exactly what is drawn)
    spans: list[tuple[str, int, int]]
    front_right: np.ndarray  # [T] bool: right (dominant) hand drawn in front
    body_units: np.ndarray  # [T, 127, 3] before projection


def synthesize(
    glosses: list[str],
    style: SignerStyle,
    rng: np.random.Generator,
    sentence: str | None = None,
    citation: bool = False,
) -> Synthesis:
    """Clean keypoints of ``style``'s signer signing ``glosses`` (pixels of 256 x 256)."""
    if not glosses:
        raise ValueError("nothing to sign: empty gloss list")
    body = Body(style)
    tl = build_timeline(list(glosses), style, body, rng, citation=citation)
    total = len(tl.dom)
    ex, head_rot = face_channels(list(glosses), sentence, tl, style, rng)

    # body sway and shoulders
    sway = smooth_noise(rng, total, 0.012 * style.sway, 40, dims=3)
    sway[:, 2] *= 0.5
    neck = sway
    sh_r = body.shoulder_r + sway
    sh_l = body.shoulder_l + sway
    # the dominant shoulder rises a little when the hand works high
    lift_r = np.clip((sh_r[:, 1] + 0.2 - tl.dom.pos[:, 1]) / 0.8, 0, 1)
    sh_r = sh_r + np.array([0.02, -0.07, 0.0]) * _smooth(lift_r, 5)[:, None]
    lift_l = np.clip((sh_l[:, 1] + 0.2 - tl.nondom.pos[:, 1]) / 0.8, 0, 1)
    sh_l = sh_l + np.array([-0.02, -0.07, 0.0]) * _smooth(lift_l, 5)[:, None]
    hip = body.hip_mid + sway * 0.4

    elbow_r, wrist_r, rot_r = _solve_arm(sh_r, tl.dom.pos, tl.dom.quat, body, -1.0)
    elbow_l, wrist_l, rot_l = _solve_arm(sh_l, tl.nondom.pos, tl.nondom.quat, body, 1.0)
    hand_r = kin.hand_points(tl.dom.shape, rot_r, wrist_r, body.hand)
    hand_l = kin.hand_points(tl.nondom.shape, rot_l, wrist_l, body.hand)

    chin = body.chin + sway * 1.1
    face = kin.face_points(chin, head_rot, body.face_width, ex)  # [T, 70, 3]
    fw = body.face_width

    pts = np.zeros((total, sk.NUM_POINTS, 3))
    pts[:, sk.NOSE] = face[:, 30] + np.array([0.0, 0.01 * fw, 0.0])
    pts[:, sk.NECK] = neck
    pts[:, sk.R_SHOULDER] = sh_r
    pts[:, sk.R_ELBOW] = elbow_r
    pts[:, sk.R_WRIST] = wrist_r
    pts[:, sk.L_SHOULDER] = sh_l
    pts[:, sk.L_ELBOW] = elbow_l
    pts[:, sk.L_WRIST] = wrist_l
    pts[:, sk.MID_HIP] = hip
    pts[:, 9] = hip + np.array([-body.hip_half, 0.0, 0.0])
    pts[:, 10] = hip + np.array([body.hip_half, 0.0, 0.0])
    pts[:, 11] = face[:, 68]
    pts[:, 12] = face[:, 69]
    ear_dir = _unit(face[:, 16] - face[:, 0])
    pts[:, 13] = face[:, 0] - ear_dir * 0.04 * fw - np.array([0.0, 0.02 * fw, 0.0])
    pts[:, 14] = face[:, 16] + ear_dir * 0.04 * fw - np.array([0.0, 0.02 * fw, 0.0])
    pts[:, sk.FACE] = face
    pts[:, sk.LEFT_HAND] = hand_l
    pts[:, sk.RIGHT_HAND] = hand_r
    px = style.appearance.pixel(pts[..., :2]).astype(np.float32)
    return Synthesis(px, tl.spans, tl.front_right, pts.astype(np.float32))
