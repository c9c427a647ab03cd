"""Ratchet's environments against the real Gymnasium (1.x, python/requirements-test.txt): its
environment checker, its registry and make/make_vec, its vector API (both autoreset modes, against
its own SyncVectorEnv over the same environments) and its wrappers."""
import warnings

import numpy as np
import pytest

import ratchet

gym = pytest.importorskip("gymnasium")
if not hasattr(gym.vector, "AutoresetMode"):
    pytest.skip("these tests need Gymnasium 1.x", allow_module_level=True)

from gymnasium.utils.env_checker import check_env  # noqa: E402
from gymnasium.vector import AutoresetMode  # noqa: E402

BUILTIN = [e for e in ratchet.list_envs() if "-py" not in e]


def _check_env_warnings(env, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, **kwargs)
    return sorted({str(w.message) for w in caught})


# Gymnasium's own spaces are unbounded, and some action ranges not [-1, 1] (its checker warns about
# them for its own environments too): those warnings are Gymnasium's, not ours
_THEIRS = ["minimum value is -infinity", "maximum value is infinity", "we recommend using a symmetric and normalized"]


@pytest.mark.parametrize("id", BUILTIN)
def test_check_env_passes_without_warnings_of_ours(id):
    ours = _check_env_warnings(ratchet.make(id))
    try:
        theirs = _check_env_warnings(gym.make(id).unwrapped, skip_render_check=True)  # (no pygame here)
    except (gym.error.Error, ImportError):  # not in Gymnasium (CartPoleSwingUp), or no mujoco package
        theirs = [w for w in ours if any(u in w for u in _THEIRS)]
    assert [w for w in ours if w not in theirs] == []


def test_gymnasium_make_gives_ratchets_envs_and_honours_max_episode_steps():
    env = gym.make("ratchet/Pendulum-v1", max_episode_steps=300)
    assert isinstance(env.unwrapped, ratchet.RatchetEnv)
    env.reset(seed=1)
    steps, truncated = 0, False
    while not truncated:
        _, _, _, truncated, _ = env.step(env.action_space.sample())
        steps += 1
    assert steps == 300
    env = ratchet.make("CartPole-v1", max_episode_steps=1000)
    assert env.spec.max_episode_steps == 1000
    assert gym.make(env.spec).spec.max_episode_steps == 1000
    assert gym.make("ratchet/CartPole-v1").spec.max_episode_steps == 500
    venv = gym.make_vec("ratchet/HalfCheetah-v4", 4)
    assert isinstance(venv, ratchet.RatchetVectorEnv) and venv.num_envs == 4
    assert venv.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP


@pytest.mark.parametrize("id", ["CartPole-v1", "Pendulum-v1", "Acrobot-v1", "MountainCarContinuous-v0"])
def test_render_fps_is_gymnasiums(id):
    assert ratchet.make(id).metadata["render_fps"] == gym.make(id).metadata["render_fps"]


def test_gymnasiums_errors_for_misuse():
    env = ratchet.make("CartPole-v1")
    with pytest.raises(gym.error.ResetNeeded):
        env.step(0)
    env.reset(seed=0)
    for bad in (1.5, 2, -1, np.array([1])):
        with pytest.raises(gym.error.InvalidAction, match="CartPole-v1"):
            env.step(bad)
    env.step(np.int64(1))
    with pytest.raises(ValueError, match="unknown keyword argument 'lo'"):
        env.reset(options={"lo": -0.1})
    with pytest.warns(UserWarning, match="without a render_mode"):
        assert env.render() is None
    with pytest.raises(ValueError, match="opens no window"):
        ratchet.make("CartPole-v1", render_mode="human")
    venv = ratchet.make_vec("CartPole-v1", 2)
    with pytest.raises(gym.error.ResetNeeded):
        venv.step(np.zeros(2, np.int64))
    venv.reset(seed=0)
    with pytest.raises(gym.error.InvalidAction):
        venv.step(np.array([0.5, 1.0]))


MUJOCO = [e for e in BUILTIN if e.endswith("-v4") or e.endswith("-v5")]


@pytest.mark.parametrize("id", MUJOCO)
def test_mujoco_info_keys_are_gymnasiums(id):
    pytest.importorskip("mujoco")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "out of date, consider v5"
        theirs = gym.make(id).unwrapped
    _, their_reset_info = theirs.reset(seed=0)
    ours = ratchet.make(id)
    _, reset_info = ours.reset(seed=0)
    assert sorted(reset_info) == sorted(their_reset_info)
    assert ours.observation_space.shape == theirs.observation_space.shape
    a = np.zeros(ours.action_space.shape, np.float32)
    for _ in range(3):
        assert sorted(ours.step(a)[4]) == sorted(theirs.step(a)[4])


def test_reset_seeds_np_random():
    env = ratchet.make("Pendulum-v1")
    a = env.reset(seed=5)[0]
    state = env.np_random.bit_generator.state
    assert np.array_equal(env.reset(seed=5)[0], a) and env.np_random.bit_generator.state == state


def _compare_with_sync_vector_env(id, mode, n=4, steps=700, seed=9):
    """Ratchet's vector env against Gymnasium's SyncVectorEnv over Ratchet's single envs."""
    ours = ratchet.make_vec(id, n, autoreset_mode=mode)
    theirs = gym.vector.SyncVectorEnv([lambda: ratchet.make(id) for _ in range(n)], autoreset_mode=mode)
    o1, _ = ours.reset(seed=seed)
    o2, _ = theirs.reset(seed=seed)
    assert np.array_equal(o1, o2)
    rng = np.random.default_rng(0)
    ends = 0
    for t in range(steps):
        if isinstance(ours.single_action_space, gym.spaces.Discrete):
            a = rng.integers(0, ours.single_action_space.n, size=n)
        else:
            a = rng.uniform(-1, 1, size=(n,) + ours.single_action_space.shape).astype(np.float32)
        a1 = ours.step(a)
        a2 = theirs.step(a)
        for k, name in enumerate(["observation", "reward", "terminated", "truncated"]):
            assert a1[k].dtype == a2[k].dtype, (t, name)
            assert np.array_equal(a1[k], a2[k]), (t, name)
        if mode == AutoresetMode.SAME_STEP and "final_obs" in a2[4]:
            assert np.array_equal(a1[4]["_final_obs"], a2[4]["_final_obs"])
            for i in np.flatnonzero(a2[4]["_final_obs"]):
                assert np.array_equal(a1[4]["final_obs"][i], a2[4]["final_obs"][i])
        ends += int((a1[2] | a1[3]).sum())
    return ends


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize("id", ["CartPole-v1", "Pendulum-v1"])
def test_vector_env_equals_gymnasiums_sync_vector_env(id, mode):
    ends = _compare_with_sync_vector_env(id, mode, steps=700 if id == "CartPole-v1" else 450)
    assert ends > 0  # episode ends were compared


def test_returned_arrays_are_copies_unless_asked_otherwise():
    venv = ratchet.make_vec("CartPole-v1", 2)
    obs, _ = venv.reset(seed=0)
    kept = obs.copy()
    step = venv.step(np.array([0, 1]))
    assert np.array_equal(obs, kept) and step[1].dtype == np.float64
    views = ratchet.make_vec("CartPole-v1", 2, copy=False)
    first, _ = views.reset(seed=0)
    second = views.step(np.array([0, 1]))[0]
    assert np.shares_memory(first, second)


def test_record_episode_statistics_and_a_cleanrl_style_loop_get_every_episode():
    n = 4
    venv = gym.wrappers.vector.RecordEpisodeStatistics(gym.make_vec("ratchet/CartPole-v1", n))
    ref = [ratchet.make("CartPole-v1") for _ in range(n)]
    for i, e in enumerate(ref):
        e.reset(seed=3 + i)
    obs, _ = venv.reset(seed=3)
    rng = np.random.default_rng(1)
    ours, want = [], []
    ret, length = np.zeros(n), np.zeros(n, int)
    pending = np.zeros(n, bool)
    transitions = 0
    for _ in range(800):
        a = rng.integers(0, 2, size=n)
        nxt, r, term, trunc, info = venv.step(a)
        # the learner's view (CleanRL on Gymnasium 1.x): a step after an episode end is a reset step
        for i in range(n):
            if pending[i]:
                ref[i].reset()
                continue
            o, rr, te, tr, _ = ref[i].step(int(a[i]))
            assert np.array_equal(o, nxt[i]) and rr == r[i] and te == term[i] and tr == trunc[i]
            transitions += 1
            ret[i] += rr
            length[i] += 1
            if te or tr:
                want.append((ret[i], length[i]))
                ret[i], length[i] = 0, 0
        pending = term | trunc
        if "episode" in info:
            for i in np.flatnonzero(info["_episode"]):
                ours.append((info["episode"]["r"][i], info["episode"]["l"][i]))
    assert len(want) > 20 and sorted(ours) == sorted(want)


def test_keyword_arguments_travel_through_gymnasium_make_and_the_spec():
    env = gym.make("ratchet/Ant-v5", include_cfrc_ext_in_observation=False, healthy_z_range=(0.3, 1.0),
                   ctrl_cost_weight=0.25)
    assert env.observation_space.shape == (27,)
    again = gym.make(env.spec)  # what gymnasium.make(spec) makes again carries them
    assert again.observation_space.shape == (27,)
    again.reset(seed=0)
    info = again.step(np.full(8, 0.5, np.float32))[4]
    assert info["reward_ctrl"] == pytest.approx(-0.25 * 8 * 0.25)
    venv = gym.make_vec("ratchet/Hopper-v5", 3, vectorization_mode="vector_entry_point", frame_skip=2)
    assert venv.spec.kwargs["frame_skip"] == 2
    with pytest.raises(ratchet.RatchetError, match="unknown keyword argument 'bogus'; it takes: "):
        ratchet.make("Hopper-v5", bogus=1)
    with pytest.raises(TypeError, match="default_camera_config"):
        ratchet.make("Hopper-v5", default_camera_config={"distance": 3.0})


def test_reset_options_as_gymnasium_defines_them():
    env = ratchet.make("CartPole-v1")
    for seed in range(20):  # the bounds hold for that reset only
        obs, _ = env.reset(seed=seed, options={"low": -0.01, "high": 0.01})
        assert np.all(np.abs(obs) <= 0.01)
    wide = [np.abs(env.reset(seed=s)[0]).max() for s in range(20)]
    assert max(wide) > 0.03
    obs, _ = ratchet.make("MountainCarContinuous-v0").reset(seed=1, options={"low": -0.3, "high": -0.2})
    assert -0.3 <= obs[0] <= -0.2 and obs[1] == 0
    obs, _ = ratchet.make("Acrobot-v1").reset(seed=1, options={"high": 0.0, "low": 0.0})
    assert np.array_equal(obs, np.array([1, 0, 1, 0, 0, 0], np.float32))
    obs, _ = ratchet.make("Pendulum-v1").reset(seed=1, options={"x_init": 0.0, "y_init": 0.0})
    assert np.array_equal(obs, np.array([1, 0, 0], np.float32))
    # Gymnasium's own gives the same ranges for the same options
    theirs = gym.make("CartPole-v1").unwrapped
    assert np.all(np.abs(theirs.reset(seed=0, options={"low": -0.01, "high": 0.01})[0]) <= 0.01)
    with pytest.raises(ValueError, match="low .* must be <= high"):
        env.reset(options={"low": 0.1, "high": -0.1})
    with pytest.raises(ValueError, match="takes no options"):
        ratchet.make("Hopper-v5").reset(options={"low": 0.0})
    venv = ratchet.make_vec("CartPole-v1", 4)
    obs, _ = venv.reset(seed=3, options={"low": 0.0, "high": 0.0})
    assert not obs.any()
