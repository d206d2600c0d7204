"""The metrics, each on a case whose answer is known by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sign_pipeline import metrics
from sign_pipeline import skeleton as sk

# ---------------------------------------------------------------------------- helpers


def still_pose(t_len: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """A signer standing still in the normalised frame: shoulder width 1, hands open."""
    kp = np.zeros((t_len, sk.NUM_POINTS, 2), np.float32)
    kp[:, sk.NECK] = (0.0, 0.0)
    kp[:, sk.R_SHOULDER] = (-0.5, 0.0)
    kp[:, sk.L_SHOULDER] = (0.5, 0.0)
    kp[:, sk.R_ELBOW] = (-0.6, 0.6)
    kp[:, sk.L_ELBOW] = (0.6, 0.6)
    kp[:, sk.FACE] = np.stack([np.linspace(-0.3, 0.3, 70), np.linspace(-1.2, -0.6, 70)], 1)
    for body, hand, x in ((sk.R_WRIST, sk.RIGHT_HAND, -0.4), (sk.L_WRIST, sk.LEFT_HAND, 0.4)):
        kp[:, body] = (x, 1.0)
        kp[:, hand] = (x, 1.0)  # every hand point on the wrist ...
        for finger, tip in enumerate(metrics.FINGERTIP_OFFSETS):  # ... but the fingers
            for j in range(4):
                kp[:, hand.start + tip - 3 + j] = (x + 0.02 * (finger - 2), 1.0 - 0.1 * (j + 1))
    return kp, np.ones(kp.shape[:2], bool)


def move(kp: np.ndarray, side: str, step: tuple[float, float]) -> np.ndarray:
    """Translate one arm's wrist and hand by ``step`` per frame (a constant velocity)."""
    out = kp.copy()
    body, hand = (sk.R_WRIST, sk.RIGHT_HAND) if side == "right" else (sk.L_WRIST, sk.LEFT_HAND)
    shift = np.arange(len(kp))[:, None] * np.float32(step)
    out[:, body] += shift
    out[:, hand] += shift[:, None]
    return out


# ---------------------------------------------------------------------------- DTW


def test_identical_sequences_give_zero():
    kp, m = still_pose(12)
    kp = move(kp, "right", (0.03, -0.02))
    assert metrics.dtw(kp, kp, m, m) == 0.0
    assert metrics.hands_dtw(kp, kp) == 0.0


def test_dtw_hand_computed_three_by_two():
    # one point carries everything: pred (0,0), (1,0), (3,1); ref (0,0), (2,0)
    pred = np.zeros((3, sk.NUM_POINTS, 2), np.float32)
    ref = np.zeros((2, sk.NUM_POINTS, 2), np.float32)
    pred[:, 0] = [(0, 0), (1, 0), (3, 1)]
    ref[:, 0] = [(0, 0), (2, 0)]
    # L1 costs [[0, 2], [1, 1], [4, 2]]; cheapest path (0,0) (1,0) (1,1)... ends at 3:
    # D = [[0, 2], [1, 1], [5, 3]] -> 3 / 2 reference frames
    np.testing.assert_allclose(metrics.frame_costs(pred, ref), [[0, 2], [1, 1], [4, 2]])
    assert metrics.dtw(pred, ref) == pytest.approx(1.5, abs=1e-12)
    # swapping roles divides the same path cost by 3 reference frames
    assert metrics.dtw(ref, pred) == pytest.approx(1.0, abs=1e-12)


def test_dtw_masked_points_cost_nothing():
    pred = np.zeros((3, sk.NUM_POINTS, 2), np.float32)
    ref = np.zeros((2, sk.NUM_POINTS, 2), np.float32)
    pred[:, 0] = [(0, 0), (1, 0), (3, 1)]
    ref[:, 0] = [(0, 0), (2, 0)]
    pred[:, 5] = 100.0  # garbage under a False mask
    pm = np.ones(pred.shape[:2], bool)
    pm[:, 5] = False
    assert metrics.dtw(pred, ref, pm, None) == pytest.approx(1.5, abs=1e-12)
    # point 0 missing in pred frame 2: costs of row 2 drop to 0 -> D ends at 1 -> 0.5
    pm[2, 0] = False
    assert metrics.dtw(pred, ref, pm, None) == pytest.approx(0.5, abs=1e-12)


def test_accumulated_cost_matches_textbook_recursion():
    rng = np.random.default_rng(1)
    for n, m in [(1, 1), (1, 6), (6, 1), (9, 7)]:
        cost = rng.random((n, m)) * 10
        table = np.full((n + 1, m + 1), np.inf)
        table[0, 0] = 0.0
        for i in range(1, n + 1):
            for j in range(1, m + 1):
                table[i, j] = cost[i - 1, j - 1] + min(
                    table[i - 1, j], table[i, j - 1], table[i - 1, j - 1]
                )
        assert metrics.accumulated_cost(cost) == pytest.approx(table[n, m], rel=1e-12)


def test_time_shift_costs_little_and_less_than_another_motion():
    kp, m = still_pose(60)
    t = np.arange(60)
    wave = kp.copy()
    wave[:, sk.RIGHT_HAND, 0] += 0.3 * np.sin(t / 6.0)[:, None]
    wave[:, sk.R_WRIST, 0] += 0.3 * np.sin(t / 6.0)
    shifted = np.concatenate([wave[:1].repeat(3, 0), wave[:-3]])  # starts 3 frames later
    other = kp.copy()
    other[:, sk.RIGHT_HAND, 1] -= 0.3 * np.abs(np.sin(t / 4.0))[:, None]
    other[:, sk.R_WRIST, 1] -= 0.3 * np.abs(np.sin(t / 4.0))
    small = metrics.dtw(shifted, wave, m, m)
    assert 0 < small < 0.05 * metrics.dtw(other, wave, m, m)
    # warping absorbs the shift: far below comparing the same frame indices (about 2.0)
    lockstep = float(np.abs(shifted - wave).sum(axis=(1, 2)).mean())
    assert small < 0.1 * lockstep


def test_hands_dtw_ignores_face_and_body():
    kp, m = still_pose(8)
    pred = kp.copy()
    pred[:, sk.FACE] += 0.2
    pred[:, sk.NOSE] += 0.2
    assert metrics.hands_dtw(pred, kp, m, m) == 0.0
    assert metrics.dtw(pred, kp, m, m) == pytest.approx(70 * 0.4 + 0.4, rel=1e-5)
    pred[:, sk.LEFT_HAND.start + 4, 0] += 0.5  # one left thumb tip, every frame
    assert metrics.hands_dtw(pred, kp, m, m) == pytest.approx(0.5, rel=1e-5)
    assert metrics.dtw(pred, kp, m, m, points=[sk.NOSE]) == pytest.approx(0.4, rel=1e-5)


def test_length_error():
    assert metrics.length_error(100, 100) == 0.0
    assert metrics.length_error(75, 100) == 0.25
    assert metrics.length_error(150, 100) == 0.5
    with pytest.raises(ValueError):
        metrics.length_error(10, 0)


# ---------------------------------------------------------------------------- motion


def test_frozen_sequence_has_no_motion():
    kp, m = still_pose(20)
    st = metrics.motion_stats(kp, m, fps=30)
    assert st["wrist_speed_mean"] == 0.0 and st["wrist_speed_p95"] == 0.0
    assert st["articulation"] == 0.0
    assert math.isnan(st["nondominant_ratio"])  # 0 / 0
    assert st["hand_size"] == pytest.approx(0.4, rel=1e-5)  # middle fingertip 4 x 0.1 below


def test_constant_speed_in_shoulder_widths_per_second():
    kp, m = still_pose(31)
    kp = move(kp, "right", (0.03, 0.04))  # 0.05 SW per frame
    kp = move(kp, "left", (0.0, -0.025))  # half as fast
    st = metrics.motion_stats(kp, m, fps=30)
    assert st["dominant"] == "right"
    assert st["wrist_speed_mean"] == pytest.approx(1.5, rel=1e-5)  # 0.05 x 30 fps
    assert st["wrist_speed_p95"] == pytest.approx(1.5, rel=1e-5)
    assert st["nondominant_ratio"] == pytest.approx(0.5, rel=1e-5)
    assert st["articulation"] == pytest.approx(0.0, abs=1e-6)  # the hand moves rigidly
    # the same clip in pixels (shoulders 180 px apart, anywhere on screen): same figures
    px = kp * 180 + np.float32([640, 200])
    in_pixels = metrics.motion_stats(px, m, fps=30)
    assert in_pixels.pop("dominant") == "right"
    for key, value in in_pixels.items():
        assert value == pytest.approx(st[key], rel=1e-4, abs=1e-5), key
    # the left arm as the dominant one, when told so
    left = metrics.motion_stats(kp, m, fps=30, dominant="left")
    assert left["wrist_speed_mean"] == pytest.approx(0.75, rel=1e-5)
    assert left["nondominant_ratio"] == pytest.approx(2.0, rel=1e-5)


def test_smoothed_wrist_speed_leaves_out_jitter_not_movement():
    kp, m = still_pose(31)
    kp = move(kp, "right", (0.05, 0.0))  # 1.5 SW/s
    st = metrics.motion_stats(kp, m, fps=30)
    # a 5-frame average holds the ends: steps of 0.6, 0.8, then 1, ..., 0.8, 0.6 x 0.05
    assert metrics.smoothing_frames(30) == 5 and metrics.smoothing_frames(15) == 3
    assert st["wrist_speed_smooth_mean"] == pytest.approx(1.5 * 28.8 / 30, rel=1e-4)
    shaky = kp.copy()
    jitter = np.where(np.arange(31) % 2 == 0, 0.01, -0.01).astype(np.float32)
    shaky[:, sk.R_WRIST, 1] += jitter  # the wrist shakes across its path
    shaky_st = metrics.motion_stats(shaky, m, fps=30)
    assert shaky_st["wrist_speed_mean"] > 1.6  # the shake counts frame by frame ...
    assert shaky_st["wrist_speed_smooth_mean"] == pytest.approx(
        st["wrist_speed_smooth_mean"], rel=0.02
    )  # ... not once averaged over a sixth of a second
    still, mask = still_pose(31)
    still[:, sk.R_WRIST, 1] += jitter
    only_shake = metrics.motion_stats(still, mask, fps=30, dominant="right")
    assert only_shake["wrist_speed_smooth_mean"] < only_shake["wrist_speed_mean"] / 4
    pooled = metrics.pooled_motion_stats([(kp, m), (shaky, m)], fps=30)
    assert pooled["wrist_speed_smooth_mean"] == pytest.approx(
        (st["wrist_speed_smooth_mean"] + shaky_st["wrist_speed_smooth_mean"]) / 2, rel=1e-5
    )


def test_dominant_is_the_hand_that_moves_more_and_hand_wrist_fills_in():
    kp, m = still_pose(11)
    kp = move(kp, "left", (0.1, 0.0))
    m[3:6, sk.L_WRIST] = False  # the body wrist drops out: the hand's wrist point stands in
    st = metrics.motion_stats(kp, m, fps=25)
    assert st["dominant"] == "left"
    assert st["wrist_speed_mean"] == pytest.approx(2.5, rel=1e-5)
    m[4, sk.LEFT_HAND] = False  # frame 4 lost entirely: its two steps are skipped
    st = metrics.motion_stats(kp, m, fps=25)
    assert st["wrist_speed_mean"] == pytest.approx(2.5, rel=1e-5)


def test_articulation_of_fingers_opening_and_closing():
    kp, m = still_pose(20)
    hand = sk.RIGHT_HAND
    wrist = kp[:, hand.start].copy()
    open_close = np.where(np.arange(20) % 2 == 0, 1.25, 0.75).astype(np.float32)
    # every finger point scaled about the wrist: tip distance alternates 0.3*1.25 / 0.3*0.75
    kp[:, hand.start + 1 : hand.stop] = (
        wrist[:, None]
        + (kp[:, hand.start + 1 : hand.stop] - wrist[:, None]) * open_close[:, None, None]
    )
    st = metrics.motion_stats(kp, m, fps=30, dominant="right")
    # a tip at distance r from the wrist varies by +-0.25 r: population std 0.25 r
    tips = [
        np.linalg.norm(still_pose(1)[0][0, hand.start + o] - wrist[0]) for o in (4, 8, 12, 16, 20)
    ]
    assert st["articulation"] == pytest.approx(0.25 * np.mean(tips), rel=1e-4)
    assert st["articulation"] > 0.05
    assert metrics.motion_stats(kp, m, fps=30, dominant="left")["articulation"] == 0.0


def test_pooled_motion_stats_pool_frames():
    a, m = still_pose(11)
    a = move(a, "right", (0.1, 0.0))  # 10 steps of 0.1 SW
    a = move(a, "left", (0.05, 0.0))
    b, _ = still_pose(31)
    b = move(b, "right", (0.0, 0.01))  # 30 steps of 0.01 SW
    b = move(b, "left", (0.0, 0.002))
    mb = np.ones(b.shape[:2], bool)
    st = metrics.pooled_motion_stats([(a, m), (b * 3.0, mb)], fps=10)
    assert st["sequences"] == 2 and st["dominant"] == "right"
    assert st["wrist_speed_mean"] == pytest.approx((10 * 1.0 + 30 * 0.1) / 40, rel=1e-5)
    assert st["nondominant_ratio"] == pytest.approx(np.median([0.5, 0.2]), rel=1e-5)
    assert st["hand_size"] == pytest.approx(0.4, rel=1e-5)
    with pytest.raises(ValueError):
        metrics.pooled_motion_stats([], fps=10)


def test_shoulder_width_is_required():
    kp, m = still_pose(3)
    m[:, sk.L_SHOULDER] = False
    with pytest.raises(ValueError, match="shoulder"):
        metrics.motion_stats(kp, m, fps=30)


# ---------------------------------------------------------------------------- video


def noisy_frames(t_len: int = 4, size: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(20, 230, (t_len, size, size, 3), dtype=np.uint8)


def test_image_against_itself():
    x = noisy_frames()
    assert metrics.ssim(x, x) == pytest.approx(1.0, abs=1e-6)
    assert metrics.psnr(x, x) == metrics.PSNR_CAP_DB  # capped, not infinite
    assert metrics.mse(x, x) == 0.0


def test_psnr_and_mse_of_a_known_offset():
    x = noisy_frames()
    y = x + np.uint8(10)  # values stay under 255: MSE exactly 100
    assert metrics.mse(y, x) == 100.0
    assert metrics.psnr(y, x) == pytest.approx(10 * math.log10(255**2 / 100), rel=1e-5)
    assert metrics.ssim(noisy_frames(seed=1), x) < 0.1


def test_flicker():
    frames = np.zeros((5, 8, 8, 3), np.uint8)
    frames[1::2] = 10  # 0, 10, 0, 10, 0
    assert metrics.flicker(frames) == 10.0
    steady = np.repeat(np.arange(5, dtype=np.uint8)[:, None, None, None] * 5, 8, 1)
    steady = np.repeat(np.repeat(steady, 8, 2), 3, 3)  # +5 every frame
    assert metrics.flicker(steady) == 5.0
    assert metrics.relative_flicker(frames, steady) == 2.0
    assert math.isnan(metrics.flicker(frames[:1]))


def crop_case():
    """Frames 128 x 128; face points around (64, 30), right hand around (100, 100)."""
    kp = np.zeros((3, sk.NUM_POINTS, 2), np.float32)
    m = np.zeros(kp.shape[:2], bool)
    kp[:, sk.FACE] = np.stack([np.linspace(54, 74, 70), np.linspace(20, 40, 70)], 1)
    m[:, sk.FACE] = True
    kp[:, sk.RIGHT_HAND] = np.stack([np.linspace(92, 108, 21), np.linspace(96, 104, 21)], 1)
    m[:, sk.RIGHT_HAND] = True
    return kp, m


def test_crop_boxes_size_and_clamping():
    kp, m = crop_case()
    corners, size = metrics.crop_boxes(kp, m, "face", (128, 128), margin=0.25)
    assert size == 30 and corners.tolist() == [[49, 15]] * 3  # extent 20 -> 30, centre 64,30
    corners, size = metrics.crop_boxes(kp, m, "right_hand", (128, 128))
    assert size == metrics.MIN_CROP  # extent 16 -> 24
    assert corners.tolist() == [[88, 88]] * 3
    kp[:, sk.RIGHT_HAND] += 20  # near the corner: the box is pushed back inside
    corners, _ = metrics.crop_boxes(kp, m, "right_hand", (128, 128))
    assert corners.tolist() == [[104, 104]] * 3
    corners, _ = metrics.crop_boxes(kp, m, "left_hand", (128, 128))
    assert (corners == -1).all()


def test_crop_ssim_looks_only_inside_the_part():
    kp, m = crop_case()
    real = noisy_frames(3, 128)
    pred = real.copy()
    pred[:, 60:] = noisy_frames(3, 128, seed=5)[:, 60:]  # lower half replaced
    assert metrics.crop_ssim(pred, real, kp, m, "face") == pytest.approx(1.0, abs=1e-6)
    assert metrics.crop_ssim(pred, real, kp, m, "right_hand") < 0.1
    assert math.isnan(metrics.crop_ssim(pred, real, kp, m, "left_hand"))
    assert metrics.ssim(pred, real) < 0.9


# ---------------------------------------------------------------------------- pose consistency


def test_pose_agreement_hand_computed():
    kp, m = still_pose(4)
    kp = kp * 100 + 200  # pixels, shoulder width 100
    found, fm = kp.copy(), m.copy()
    found[:, sk.R_WRIST, 0] += 10  # 0.1 SW off on the right wrist
    found[:, sk.L_ELBOW, 1] += 30  # 0.3 SW off on the left elbow
    fm[:2, sk.LEFT_HAND] = False  # left hand missed in 2 of 4 frames
    fm[:, sk.L_WRIST] = False  # left body wrist never found: only the right pairs count
    out = metrics.pose_agreement(found, fm, kp, m)
    assert out["body_found_rate"] == 1.0
    assert out["hand_found_rate_right"] == 1.0 and out["hand_found_rate_left"] == 0.5
    assert out["hand_found_rate"] == 0.75
    assert out["wrist_error"] == pytest.approx(0.1, rel=1e-5)
    assert out["elbow_error"] == pytest.approx(0.15, rel=1e-5)  # mean of 0 and 0.3


def test_blank_frames_find_no_hands():
    kp, m = still_pose(3)
    kp = kp * 60 + 128
    out = metrics.pose_consistency(np.zeros((3, 256, 256, 3), np.uint8), kp, m)
    assert out["hand_found_rate"] == 0.0
    assert out["body_found_rate"] == 0.0
    assert math.isnan(out["wrist_error"])


def test_mediapipe_finds_the_avatar_body():
    from sign_pipeline.pose2video.avatar import AvatarRenderer
    from sign_pipeline.pose2video.placement import to_pixels
    from sign_pipeline.text2pose.lexicon import LexiconText2Pose

    lexicon = LexiconText2Pose.from_pretrained("checkpoints/lexicon")
    out = lexicon.sign(sorted(lexicon.known_glosses())[:1], signer=1)
    middle = len(out) // 2
    kp, m = out.keypoints[middle : middle + 6], out.mask[middle : middle + 6]
    frames = AvatarRenderer().render(kp, m, signer=1)
    px = to_pixels(kp, 1, m)  # where the avatar drew them
    res = metrics.pose_consistency(frames, px, m)
    # the avatar's body is found in every frame, where it was drawn (measured: wrists about
    # 0.16 SW off, elbows 0.08: MediaPipe's joint centres are not the avatar's), its
    # hands in most frames
    assert res["body_found_rate"] == 1.0
    assert res["wrist_error"] < 0.3 and res["elbow_error"] < 0.2
    assert res["hand_found_rate"] > 0.3


def test_attention_failure_finds_skipped_repeated_and_unfinished_glosses():
    attention_failure = metrics.attention_failure

    def peaks_to_attention(peaks, n):
        att = np.full((len(peaks), n), 0.1)
        att[np.arange(len(peaks)), peaks] = 0.9
        return att

    good = attention_failure(peaks_to_attention([0, 0, 1, 1, 2], 3))
    assert good == {"skipped": [], "backward": False, "failed": False}
    skipped = attention_failure(peaks_to_attention([0, 0, 2, 2], 3))
    assert skipped["skipped"] == [1] and skipped["failed"]
    back = attention_failure(peaks_to_attention([0, 1, 0, 1, 2], 3))
    assert back["backward"] and not back["skipped"] and back["failed"]
    unfinished = attention_failure(peaks_to_attention([0, 1, 2, 1], 3))
    assert unfinished["failed"]
    with pytest.raises(ValueError, match="attention must be"):
        attention_failure(np.zeros((0, 3)))
