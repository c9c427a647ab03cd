"""Ratchet's classic-control environments against Gymnasium's own (the pinned Gymnasium of
python/requirements-test.txt), step for step from equal states: Gymnasium's environment is put in
the exact double-precision state of Ratchet's after each reset, then both take the same actions.

Gymnasium computes sin and cos with NumPy. On machines with AVX-512, NumPy's float64 sin/cos are
its own vectorised ones, which differ from the C library's by up to 1 ulp (elsewhere NumPy calls
the C library). So that the test checks the dynamics on every machine, Gymnasium's modules are
given the C library's sin/cos (math.sin/math.cos, what Ratchet calls); then every observation,
reward and flag is bit-identical. test_with_numpys_sin_cos... states what remains with NumPy's."""
import math
import warnings
import struct
import types

import numpy as np
import pytest

import ratchet

gym = pytest.importorskip("gymnasium")
import gymnasium.envs.classic_control.acrobot as _acrobot  # noqa: E402
import gymnasium.envs.classic_control.cartpole as _cartpole  # noqa: E402
import gymnasium.envs.classic_control.continuous_mountain_car as _mountain_car  # noqa: E402
import gymnasium.envs.classic_control.pendulum as _pendulum  # noqa: E402


@pytest.fixture
def c_library_sin_cos(monkeypatch):
    shim = types.SimpleNamespace(**{k: getattr(np, k) for k in dir(np) if not k.startswith("__")})
    shim.sin, shim.cos = math.sin, math.cos
    for module in (_cartpole, _pendulum, _mountain_car):
        monkeypatch.setattr(module, "np", shim)
    monkeypatch.setattr(_acrobot, "sin", math.sin)
    monkeypatch.setattr(_acrobot, "cos", math.cos)


def _state_of(env, n, matches):
    """The n doubles of env's physics state, found in its saved state by what the observation says."""
    b = env._env.save_state()
    for off in range(len(b) - 8 * n + 1):
        v = np.array(struct.unpack_from(f"<{n}d", b, off))
        if np.all(np.isfinite(v)) and matches(v):
            return v
    raise AssertionError(f"{env.spec.id}: no state of {n} doubles gives the observation")


def _f32(*xs):
    return np.array(xs, np.float32)


# id: (state size, the observation of a state, a policy that keeps episodes long, steps per episode)
_ENVS = {
    "CartPole-v1": (4, lambda s: _f32(*s), lambda o, r: int(o[2] + 0.5 * o[3] + 0.05 * o[0] + 0.1 * o[1] > 0), 2000),
    "Pendulum-v1": (2, lambda s: _f32(math.cos(s[0]), math.sin(s[0]), s[1]),
                    lambda o, r: r.uniform(-2.5, 2.5, 1).astype(np.float32), 200),
    "Acrobot-v1": (4, lambda s: _f32(math.cos(s[0]), math.sin(s[0]), math.cos(s[1]), math.sin(s[1]), s[2], s[3]),
                   lambda o, r: int(r.integers(3)), 500),
    "MountainCarContinuous-v0": (2, lambda s: _f32(*s), lambda o, r: r.uniform(-1.2, 1.2, 1).astype(np.float32), 999),
}


def _ulps(a, b):
    return int(np.max(np.abs(a.view(np.int32).astype(np.int64) - b.view(np.int32).astype(np.int64))))


def _compare(id, episodes=5):
    """Steps compared, and the first difference (episode, step, observation ulps, reward gap) or None."""
    n, observe, policy, length = _ENVS[id]
    ours = ratchet.make(id, max_episode_steps=0)
    theirs = gym.make(id).unwrapped
    rng = np.random.default_rng(0)
    steps = 0
    for ep in range(episodes):
        obs, _ = ours.reset(seed=ep)
        theirs.reset(seed=0)
        theirs.state = _state_of(ours, n, lambda s: np.array_equal(observe(s), obs))
        if id == "CartPole-v1":
            theirs.steps_beyond_terminated = None
        for t in range(length):
            a = policy(obs, rng)
            obs, r1, te1, _, _ = ours.step(a)
            o2, r2, te2, _, _ = theirs.step(a)
            steps += 1
            if not (np.array_equal(obs, o2) and r1 == r2 and te1 == te2):
                return steps, (ep, t, _ulps(obs, np.asarray(o2, np.float32)), abs(r1 - r2))
            if te1:
                break
    return steps, None


@pytest.mark.parametrize("id", list(_ENVS))
def test_bit_identical_to_gymnasium_from_equal_states(id, c_library_sin_cos):
    steps, first = _compare(id)
    assert first is None, f"{id}: first difference after {steps} steps: {first}"
    assert steps >= 999


def test_with_numpys_sin_cos_the_differences_stay_within_stated_bounds():
    # NumPy's own sin/cos (AVX-512 machines) differ from the C library's by at most 1 ulp; what
    # that does over whole episodes is bounded here (and is nothing on other machines)
    for id in _ENVS:
        steps, first = _compare(id)
        if first is not None:
            _, _, obs_ulps, reward_gap = first
            assert obs_ulps <= 64 and reward_gap <= 1e-12, (id, first)


# MuJoCo tasks: compared when Ratchet runs the same libmujoco as Gymnasium's tasks (a build with
# RATCHET_MUJOCO=python, as pip builds the package); Debian's 2.2.2 build skips, saying so.
MUJOCO = [e for e in ratchet.list_envs() if e.endswith("-v4") or e.endswith("-v5")]
# v5's keyword arguments, away from their defaults, each changing what the task computes
MUJOCO_KWARGS = [
    ("HalfCheetah-v5", dict(forward_reward_weight=0.5, ctrl_cost_weight=0.2, exclude_current_positions_from_observation=False)),
    ("Hopper-v5", dict(terminate_when_unhealthy=False, healthy_reward=0.5, healthy_angle_range=(-0.5, 0.5), frame_skip=2)),
    ("Walker2d-v5", dict(xml_file="walker2d.xml", healthy_z_range=(0.9, 1.8), reset_noise_scale=0.05)),
    ("Ant-v5", dict(include_cfrc_ext_in_observation=False, contact_cost_weight=1e-3, main_body="torso",
                    contact_force_range=(-0.5, 0.5))),
    ("Humanoid-v5", dict(include_cinert_in_observation=False, include_cvel_in_observation=False,
                         contact_cost_range=(0.0, 1.0), healthy_z_range=(0.9, 2.1))),
    ("Swimmer-v5", dict(exclude_current_positions_from_observation=False, ctrl_cost_weight=1e-3)),
    ("InvertedPendulum-v5", dict(reset_noise_scale=0.05, frame_skip=3)),
    ("InvertedDoublePendulum-v5", dict(healthy_reward=5.0, reset_noise_scale=0.2)),
    ("Reacher-v5", dict(reward_dist_weight=2.0, reward_control_weight=0.5, frame_skip=3)),
]


# Gymnasium sums the squared action in float32 (np.square, np.sum of the float32 action) for the
# control cost; Ratchet in double. Rewards and the info values built on the control cost differ by
# that rounding alone: at most this much.
_CONTROL_COST_ROUNDING = 1e-6


def _same_info_value(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= _CONTROL_COST_ROUNDING))


def _mujoco_first_difference(id, at_least=1200, length=400, **kwargs):
    ours = ratchet.make(id, max_episode_steps=0, **kwargs)
    theirs = gym.make(id, **kwargs).unwrapped
    assert ours.observation_space.shape == theirs.observation_space.shape
    rng = np.random.default_rng(0)
    steps, ep = 0, -1
    while steps < at_least:  # episodes of random actions (short where the task terminates)
        ep += 1
        _, reset_info = ours.reset(seed=ep)
        _, their_reset_info = theirs.reset(seed=0)
        if sorted(reset_info) != sorted(their_reset_info):
            return steps, ("reset info keys", sorted(reset_info), sorted(their_reset_info))
        theirs.set_state(*ours._env.mujoco_state())
        for t in range(length):
            a = rng.uniform(-1, 1, ours.action_space.shape).astype(np.float32)
            o1, r1, te1, _, i1 = ours.step(a)
            o2, r2, te2, _, i2 = theirs.step(a)
            steps += 1
            o2 = np.asarray(o2, np.float32)
            if not np.array_equal(o1, o2):
                return steps, ("observation", ep, t, _ulps(o1, o2))
            if abs(r1 - r2) > _CONTROL_COST_ROUNDING:
                return steps, ("reward", ep, t, r1 - r2)
            if te1 != te2:
                return steps, ("terminated", ep, t, te1)
            if sorted(i1) != sorted(i2):
                return steps, ("info keys", sorted(i1), sorted(i2))
            for k in i2:
                if not _same_info_value(i1[k], i2[k]):
                    return steps, (f"info {k}", ep, t, i1[k], i2[k])
            if te1:
                break
    return steps, None


def _same_mujoco_or_skip():
    mujoco = pytest.importorskip("mujoco")
    ours = ratchet._ratchet.mujoco_version().split()[0]
    if ours != mujoco.mj_versionString():
        pytest.skip(f"Ratchet runs MuJoCo {ours}, Gymnasium's tasks MuJoCo {mujoco.mj_versionString()}; a build "
                    "with RATCHET_MUJOCO=python (pip's) is compared")


@pytest.mark.parametrize("id", MUJOCO)
def test_mujoco_tasks_bit_identical_to_gymnasiums_on_the_same_mujoco(id):
    _same_mujoco_or_skip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # v4 "is out of date"
        steps, first = _mujoco_first_difference(id)
    assert first is None, f"{id}: first difference after {steps} steps: {first}"
    assert steps >= 1200


@pytest.mark.parametrize("id,kwargs", MUJOCO_KWARGS, ids=[k for k, _ in MUJOCO_KWARGS])
def test_v5_keyword_arguments_act_as_gymnasiums(id, kwargs):
    _same_mujoco_or_skip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        steps, first = _mujoco_first_difference(id, at_least=600, **kwargs)
    assert first is None, f"{id} {kwargs}: first difference after {steps} steps: {first}"
