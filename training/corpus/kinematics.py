"""Forward and inverse kinematics of the parametric signer.

Coordinates ("body units"): origin at the neck point, x to the right of the *image*
(the signer's left), y down, z toward the camera; one unit is the signer's shoulder width.
The camera is orthographic: a 3D point projects to its (x, y).

* Hands: 21 OpenPose hand points by forward kinematics from joint angles (a handshape),
  a palm orientation (rotation matrix) and the wrist position.
* Arms: a 2-link arm (upper arm, forearm) reaching a wanted wrist position; the elbow is
  placed below and outside (the natural solution on the circle of possible elbows).
* Face: the 68 + 2 FACE_70 points from a mean frontal face with rough depths, rotated by
  the head pose (yaw, pitch, roll) and deformed by facial expressions.
"""

from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------------------- hands

#: Knuckle (MCP) positions in the hand frame, in hand lengths: (along the fingers, toward
#: the thumb side). Hand length = wrist to the middle fingertip with the fingers straight.
MCP_POS = np.array([[0.46, 0.12], [0.47, 0.035], [0.44, -0.045], [0.40, -0.12]])
#: Phalanx lengths (proximal, middle, distal) of index, middle, ring, pinky.
PHALANX = np.array(
    [[0.22, 0.135, 0.11], [0.245, 0.16, 0.125], [0.225, 0.15, 0.115], [0.175, 0.11, 0.10]]
)
#: Natural fan of the fingers (degrees toward the thumb side) when spread is 0.
FAN = np.array([6.0, 0.0, -6.0, -13.0])
THUMB_CMC = np.array([0.10, 0.10, 0.02])
THUMB_LEN = np.array([0.23, 0.16, 0.13])  # metacarpal, proximal, distal
N_ANGLES = 20  # thumb 4 + 4 fingers x 4


def handshape_vector(shape: dict) -> np.ndarray:
    """A handshape dict (thumb/index/middle/ring/pinky lists, degrees) -> [20] radians."""
    vals = []
    for finger in ("thumb", "index", "middle", "ring", "pinky"):
        vals += list(shape[finger])
    return np.deg2rad(np.asarray(vals, np.float64))


def hand_local(angles: np.ndarray) -> np.ndarray:
    """Hand points in the hand frame (u along fingers, r to the thumb side, n palm normal).

    ``angles`` [..., 20] radians -> [..., 21, 3] in hand lengths, wrist at the origin.
    """
    a = np.asarray(angles, np.float64)
    lead = a.shape[:-1]
    out = np.zeros(lead + (21, 3))
    # thumb
    abd, opp, mcp, ip = (a[..., i] for i in range(4))
    t = np.stack([np.cos(opp) * np.cos(abd), np.cos(opp) * np.sin(abd), np.sin(opp)], -1)
    b0 = np.array([0.0, -0.75, 0.66])
    b = b0 - (t @ b0)[..., None] * t
    b /= np.linalg.norm(b, axis=-1, keepdims=True) + 1e-9
    cmc = np.broadcast_to(THUMB_CMC, lead + (3,))
    p_mcp = cmc + THUMB_LEN[0] * t
    s1 = np.cos(mcp)[..., None] * t + np.sin(mcp)[..., None] * b
    s2 = np.cos(mcp + ip)[..., None] * t + np.sin(mcp + ip)[..., None] * b
    p_ip = p_mcp + THUMB_LEN[1] * s1
    p_tip = p_ip + THUMB_LEN[2] * s2
    out[..., 1, :] = cmc
    out[..., 2, :] = p_mcp
    out[..., 3, :] = p_ip
    out[..., 4, :] = p_tip
    # fingers
    for f in range(4):
        spread = np.deg2rad(FAN[f]) + a[..., 4 + 4 * f]
        flex = np.cumsum(a[..., 5 + 4 * f : 8 + 4 * f], axis=-1)  # [..., 3]
        cs, ss = np.cos(spread), np.sin(spread)
        base = np.zeros(lead + (3,))
        base[..., 0] = MCP_POS[f, 0]
        base[..., 1] = MCP_POS[f, 1]
        # a slight palm arch: outer knuckles sit toward the palm side
        base[..., 2] = 0.02 * abs(f - 1.2)
        out[..., 5 + 4 * f, :] = base
        p = base
        for k in range(3):
            c, s = np.cos(flex[..., k]), np.sin(flex[..., k])
            d = np.stack([c * cs, c * ss, s], -1)
            p = p + PHALANX[f, k] * d
            out[..., 6 + 4 * f + k, :] = p
    return out


def hand_frame(palm_normal: np.ndarray, finger_dir: np.ndarray, side: str) -> np.ndarray:
    """Rotation [3, 3] whose columns are (u, r, n) in body coordinates.

    ``finger_dir`` is where the straight fingers point, ``palm_normal`` where the palm
    faces. ``side`` "right" or "left" (the signer's), which fixes the thumb side.
    """
    n = np.asarray(palm_normal, np.float64)
    u = np.asarray(finger_dir, np.float64)
    n = n / np.linalg.norm(n, axis=-1, keepdims=True)
    u = u - (u * n).sum(-1, keepdims=True) * n
    u = u / (np.linalg.norm(u, axis=-1, keepdims=True) + 1e-9)
    r = np.cross(n, u) if side == "right" else np.cross(u, n)
    return np.stack([u, r, n], axis=-1)


def hand_points(
    angles: np.ndarray, rot: np.ndarray, wrist: np.ndarray, length: float
) -> np.ndarray:
    """21 hand points [..., 21, 3] in body units from joint angles, frame and wrist."""
    local = hand_local(angles) * length
    return np.asarray(wrist)[..., None, :] + np.einsum("...ij,...pj->...pi", rot, local)


#: Palm centre in the hand frame (hand lengths): the contact point of most locations.
PALM_CENTRE = np.array([0.30, 0.01, 0.06])


# ---------------------------------------------------------------------------- rotations


def quat_from_matrix(m: np.ndarray) -> np.ndarray:
    """Rotation matrices [..., 3, 3] -> unit quaternions [..., 4] (w, x, y, z)."""
    m = np.asarray(m, np.float64)
    w = np.sqrt(np.maximum(0.0, 1 + m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2])) / 2
    x = np.sqrt(np.maximum(0.0, 1 + m[..., 0, 0] - m[..., 1, 1] - m[..., 2, 2])) / 2
    y = np.sqrt(np.maximum(0.0, 1 - m[..., 0, 0] + m[..., 1, 1] - m[..., 2, 2])) / 2
    z = np.sqrt(np.maximum(0.0, 1 - m[..., 0, 0] - m[..., 1, 1] + m[..., 2, 2])) / 2
    x = np.copysign(x, m[..., 2, 1] - m[..., 1, 2])
    y = np.copysign(y, m[..., 0, 2] - m[..., 2, 0])
    z = np.copysign(z, m[..., 1, 0] - m[..., 0, 1])
    q = np.stack([w, x, y, z], -1)
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def matrix_from_quat(q: np.ndarray) -> np.ndarray:
    """Unit quaternions [..., 4] -> rotation matrices [..., 3, 3]."""
    q = np.asarray(q, np.float64)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = (q[..., i] for i in range(4))
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
            np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
            np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
        ],
        -2,
    )


def slerp(q0: np.ndarray, q1: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Spherical interpolation between unit quaternions, weights ``w`` [...]."""
    q0 = np.asarray(q0, np.float64)
    q1 = np.asarray(q1, np.float64)
    w = np.asarray(w, np.float64)[..., None]
    dot = (q0 * q1).sum(-1, keepdims=True)
    q1 = np.where(dot < 0, -q1, q1)
    dot = np.abs(dot)
    theta = np.arccos(np.clip(dot, -1, 1))
    sin = np.sin(theta)
    small = sin < 1e-6
    a = np.where(small, 1 - w, np.sin((1 - w) * theta) / np.where(small, 1, sin))
    b = np.where(small, w, np.sin(w * theta) / np.where(small, 1, sin))
    q = a * q0 + b * q1
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def axis_angle(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotation matrices [..., 3, 3] about unit ``axis`` [..., 3] by ``angle`` [...]."""
    axis = np.asarray(axis, np.float64)
    axis = axis / (np.linalg.norm(axis, axis=-1, keepdims=True) + 1e-12)
    angle = np.asarray(angle, np.float64)
    half = angle / 2
    q = np.concatenate([np.cos(half)[..., None], np.sin(half)[..., None] * axis], -1)
    return matrix_from_quat(q)


# ---------------------------------------------------------------------------- arms


def arm_ik(
    shoulder: np.ndarray,
    wrist: np.ndarray,
    upper: float,
    fore: float,
    outward: float,
    swivel_bias: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Elbow position for a 2-link arm reaching ``wrist`` from ``shoulder`` ([T, 3] each).

    The elbow lies on the circle of solutions; the one pointing most down and outside
    (``outward`` = -1 for the right arm, +1 for the left, in image x) and a little back is
    chosen. Unreachable targets are pulled onto the reachable shell. Returns
    ``(elbow, wrist)``, the wrist possibly moved.
    """
    s = np.asarray(shoulder, np.float64)
    w = np.asarray(wrist, np.float64)
    v = w - s
    d = np.linalg.norm(v, axis=-1, keepdims=True)
    lo, hi = abs(upper - fore) + 0.05, (upper + fore) * 0.995
    d_c = np.clip(d, lo, hi)
    u = v / np.maximum(d, 1e-9)
    w = s + u * d_c
    a = (upper**2 - fore**2 + d_c**2) / (2 * d_c)
    r = np.sqrt(np.maximum(upper**2 - a**2, 0.0))
    pref = np.array([0.3 * outward, 1.0, -0.55]) if swivel_bias is None else swivel_bias
    pref = np.broadcast_to(pref, u.shape)
    p = pref - (pref * u).sum(-1, keepdims=True) * u
    p = p / (np.linalg.norm(p, axis=-1, keepdims=True) + 1e-9)
    elbow = s + u * a + r * p
    return elbow, w


# ---------------------------------------------------------------------------- face

# Mean frontal 68-landmark face (iBUG order), x and y in [0, 1] of the face box: the
# widely used dlib/OpenFace alignment template (a statistical mean shape, i.e. facts).
_FACE_TEMPLATE = np.array([
    (0.0792, 0.3392), (0.0829, 0.4570), (0.0968, 0.5756), (0.1221, 0.6919), (0.1687, 0.8003),
    (0.2398, 0.8957), (0.3257, 0.9771), (0.4223, 1.0433), (0.5318, 1.0608), (0.6413, 1.0398),
    (0.7381, 0.9723), (0.8244, 0.8896), (0.8948, 0.7925), (0.9394, 0.6815), (0.9611, 0.5622),
    (0.9706, 0.4418), (0.9712, 0.3221), (0.1638, 0.2492), (0.2178, 0.2043), (0.2913, 0.1924),
    (0.3675, 0.2036), (0.4393, 0.2331), (0.5864, 0.2281), (0.6602, 0.1959), (0.7375, 0.1824),
    (0.8132, 0.1928), (0.8708, 0.2353), (0.5153, 0.3186), (0.5162, 0.3962), (0.5171, 0.4738),
    (0.5182, 0.5532), (0.4337, 0.6041), (0.4755, 0.6208), (0.5207, 0.6343), (0.5659, 0.6188),
    (0.6071, 0.6016), (0.2524, 0.3311), (0.2987, 0.3026), (0.3557, 0.3030), (0.4037, 0.3387),
    (0.3525, 0.3500), (0.2968, 0.3505), (0.6313, 0.3341), (0.6791, 0.2965), (0.7360, 0.2947),
    (0.7829, 0.3213), (0.7403, 0.3418), (0.6850, 0.3437), (0.3532, 0.7462), (0.4146, 0.7191),
    (0.4777, 0.7068), (0.5227, 0.7171), (0.5698, 0.7054), (0.6352, 0.7157), (0.6995, 0.7394),
    (0.6394, 0.8052), (0.5764, 0.8354), (0.5254, 0.8417), (0.4764, 0.8375), (0.4138, 0.8100),
    (0.3801, 0.7500), (0.4780, 0.7451), (0.5234, 0.7489), (0.5711, 0.7433), (0.6724, 0.7442),
    (0.5725, 0.7766), (0.5240, 0.7834), (0.4776, 0.7785),
])  # fmt: skip
# Mirror pairs of the 68 points (left <-> right), used to make the template symmetric.
_MIRROR = (
    list(range(16, -1, -1))
    + list(range(26, 16, -1))
    + [27, 28, 29, 30]
    + [35, 34, 33, 32, 31]
    + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40]
    + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55]
    + [64, 63, 62, 61, 60, 67, 66, 65]
)


def _symmetric_face() -> np.ndarray:
    t = _FACE_TEMPLATE.copy()
    cx = 0.5 * (t[0, 0] + t[16, 0])
    t[:, 0] -= cx
    m = t[_MIRROR].copy()
    m[:, 0] *= -1
    t = 0.5 * (t + m)
    width = t[16, 0] - t[0, 0]
    t /= width  # face width (jaw point 0 to 16) = 1
    t[:, 1] -= t[8, 1]  # chin at y = 0
    return t


def _face_depth(t: np.ndarray) -> np.ndarray:
    z = np.zeros(len(t))
    # jaw: deepest at the ears, forward at the chin
    jaw = np.arange(17)
    z[jaw] = -0.42 * (1 - np.cos((jaw - 8) / 8 * np.pi / 2)) - 0.05
    z[17:27] = 0.05 - 0.18 * np.abs(t[17:27, 0]) ** 1.5
    z[27:31] = [0.10, 0.16, 0.22, 0.28]
    z[31:36] = [0.16, 0.19, 0.21, 0.19, 0.16]
    z[36:48] = 0.0 - 0.12 * np.abs(t[36:48, 0])
    z[48:68] = 0.14 - 0.25 * np.abs(t[48:68, 0])
    return z


FACE_2D = _symmetric_face()
FACE_Z = _face_depth(FACE_2D)
#: Face points (68 landmarks) in face widths: x right, y down (chin at 0), z forward.
FACE_3D = np.concatenate([FACE_2D, FACE_Z[:, None]], axis=1)
# pupils: centres of the eyes
_PUPILS = np.stack([FACE_3D[36:42].mean(0), FACE_3D[42:48].mean(0)])
_PUPILS[:, 2] += 0.02
FACE70_3D = np.concatenate([FACE_3D, _PUPILS], axis=0)

BROW_R = np.arange(17, 22)
BROW_L = np.arange(22, 27)
EYE_R_UP = np.array([37, 38])
EYE_R_LO = np.array([40, 41])
EYE_L_UP = np.array([43, 44])
EYE_L_LO = np.array([46, 47])
LIP_LOWER = np.array([55, 56, 57, 58, 59, 65, 66, 67])
LIP_UPPER = np.array([49, 50, 51, 52, 53, 61, 62, 63])
MOUTH = np.arange(48, 68)
JAW_LOW = np.arange(4, 13)


def face_points(
    head_pos: np.ndarray,
    head_rot: np.ndarray,
    width: float,
    expr: dict[str, np.ndarray],
) -> np.ndarray:
    """FACE_70 points [T, 70, 3] in body units.

    ``head_pos`` [T, 3] is the chin position; ``head_rot`` [T, 3, 3] the head rotation
    (pivot slightly behind the chin); ``width`` the face width in body units; ``expr``
    holds per-frame [T] expression weights: brow_raise, brow_furrow, mouth_open, pursed,
    stretched, corners_down, puffed, blink (0..1, brow_raise may be negative).
    """
    t_len = len(head_pos)
    p = np.broadcast_to(FACE70_3D, (t_len, 70, 3)).copy()

    def e(name: str) -> np.ndarray:
        return np.asarray(expr.get(name, np.zeros(t_len)), np.float64)[:, None]

    raise_, furrow = e("brow_raise"), e("brow_furrow")
    for brow, inner in ((BROW_R, 21), (BROW_L, 22)):
        p[:, brow, 1] -= 0.06 * raise_
        p[:, inner, 1] += 0.035 * furrow[:, 0]
        p[:, inner, 0] -= 0.03 * furrow[:, 0] * np.sign(FACE70_3D[inner, 0])
        p[:, brow, 1] += 0.012 * furrow
    # eyes widen with raised brows, close when blinking
    blink = np.clip(e("blink") + 0.15 * np.clip(furrow, 0, 1), 0, 1)
    for up, lo in ((EYE_R_UP, EYE_R_LO), (EYE_L_UP, EYE_L_LO)):
        mid = 0.5 * (p[:, up, 1].mean(1, keepdims=True) + p[:, lo, 1].mean(1, keepdims=True))
        p[:, up, 1] = (
            p[:, up, 1] + (mid - p[:, up, 1]) * blink * 0.9 - 0.012 * np.clip(raise_, 0, 1)
        )
        p[:, lo, 1] = p[:, lo, 1] + (mid - p[:, lo, 1]) * blink * 0.9
    # mouth
    mc = FACE70_3D[MOUTH, :2].mean(0)
    open_ = e("mouth_open")
    p[:, LIP_LOWER, 1] += 0.09 * open_
    p[:, JAW_LOW, 1] += 0.07 * open_ * np.cos((JAW_LOW - 8) / 4.5 * np.pi / 2) ** 2
    p[:, 66, 1] += 0.01 * open_[:, 0]
    p[:, LIP_UPPER, 1] -= 0.01 * open_
    sx = 1 - 0.28 * e("pursed") + 0.18 * e("stretched")
    p[:, MOUTH, 0] = mc[0] + (p[:, MOUTH, 0] - mc[0]) * sx
    p[:, MOUTH, 2] += 0.05 * e("pursed")
    down = e("corners_down")
    for c in (48, 54, 60, 64):
        p[:, c, 1] += 0.04 * down[:, 0]
    puff = e("puffed")
    for j in (2, 3, 4, 5, 11, 12, 13, 14):
        p[:, j, 0] += 0.05 * puff[:, 0] * np.sign(FACE70_3D[j, 0])
    # rigid head motion: pivot at the chin - 0.25 face widths back / up
    pivot = np.array([0.0, -0.2, -0.35])
    p = np.einsum("tij,tpj->tpi", head_rot, p - pivot) + pivot
    return np.asarray(head_pos)[:, None, :] + p * width


def head_rotation(yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """[T, 3, 3] head rotations (radians): yaw turns left/right, pitch nods, roll tilts."""
    t_len = len(yaw)
    ry = axis_angle(np.broadcast_to([0.0, 1.0, 0.0], (t_len, 3)), yaw)
    rx = axis_angle(np.broadcast_to([1.0, 0.0, 0.0], (t_len, 3)), pitch)
    rz = axis_angle(np.broadcast_to([0.0, 0.0, 1.0], (t_len, 3)), roll)
    return rz @ ry @ rx
