"""The Env and vector-env APIs of every built-in environment."""
import numpy as np
import pytest

import ratchet
from ratchet import spaces

BUILTIN = [e for e in ratchet.list_envs() if "-py" not in e]


def test_builtins_are_listed():
    for id in ["CartPole-v1", "Pendulum-v1", "HalfCheetah-v4", "Humanoid-v4", "CartPoleSwingUp-v1"]:
        assert id in BUILTIN
    assert len(BUILTIN) >= 16


@pytest.mark.parametrize("id", BUILTIN)
def test_env_api_contract(id):
    env = ratchet.make(id)
    assert isinstance(env.observation_space, spaces.Box)
    assert isinstance(env.action_space, (spaces.Box, spaces.Discrete))
    obs, info = env.reset(seed=3)
    assert isinstance(info, dict)
    assert obs.dtype == np.float32 and obs.shape == env.observation_space.shape
    again, _ = ratchet.make(id).reset(seed=3)
    assert np.array_equal(obs, again)  # one seed, one start
    env.action_space.seed(0)
    for _ in range(20):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert obs.dtype == np.float32 and obs.shape == env.observation_space.shape
        assert isinstance(reward, float) and isinstance(terminated, bool) and isinstance(truncated, bool)
        assert isinstance(info, dict)
        if terminated or truncated:
            obs, _ = env.reset()
    assert env.spec.id == f"ratchet/{id}"  # Gymnasium's name for it
    env.close()


def test_unseeded_resets_differ_and_seeded_resets_repeat():
    a = ratchet.make("Pendulum-v1").reset()[0]
    b = ratchet.make("Pendulum-v1").reset()[0]
    assert not np.array_equal(a, b)


def test_render_returns_rgb():
    env = ratchet.make("CartPole-v1", render_mode="rgb_array", width=160, height=120)
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (120, 160, 3) and frame.dtype == np.uint8 and frame.min() < 255


def test_bad_action_raises_naming_the_env():
    env = ratchet.make("CartPole-v1")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="CartPole-v1"):  # Gymnasium's InvalidAction when installed
        env.step(5)
    with pytest.raises(ValueError, match="unknown environment 'Nope-v0'"):
        ratchet.make("Nope-v0")


def _reference_rollout(id, n, seed, actions):
    """N single environments stepped from Python with Gymnasium's same-step autoreset."""
    envs = [ratchet.make(id) for _ in range(n)]
    obs = np.stack([e.reset(seed=seed + i)[0] for i, e in enumerate(envs)])
    steps = []
    for a in actions:
        rows, rew, term, trunc, final = [], [], [], [], {}
        for i, e in enumerate(envs):
            o, r, te, tr, _ = e.step(a[i])
            if te or tr:
                final[i] = o
                o, _ = e.reset()
            rows.append(o)
            rew.append(r)
            term.append(te)
            trunc.append(tr)
        steps.append((np.stack(rows), np.array(rew, np.float64), np.array(term), np.array(trunc), final))
    return obs, steps


@pytest.mark.parametrize("id,threads", [("CartPole-v1", 1), ("CartPole-v1", 2), ("HalfCheetah-v4", 2)])
def test_make_vec_equals_single_envs_bit_for_bit(id, threads):
    n, seed = 4, 11
    venv = ratchet.make_vec(id, n, threads=threads, autoreset_mode="same_step", copy=False)
    rng = np.random.default_rng(0)
    if isinstance(venv.single_action_space, spaces.Discrete):
        actions = rng.integers(0, venv.single_action_space.n, size=(600, n))
    else:
        actions = rng.uniform(-1, 1, size=(60, n) + venv.single_action_space.shape).astype(np.float32)
    obs0, ref = _reference_rollout(id, n, seed, actions)
    obs, info = venv.reset(seed=seed)
    assert np.array_equal(obs, obs0)
    buffer = obs
    finals = 0
    for a, (o, r, te, tr, final) in zip(actions, ref):
        obs, rew, term, trunc, info = venv.step(a)
        assert obs is buffer or np.shares_memory(obs, buffer)  # written in place
        assert np.array_equal(obs, o) and np.array_equal(rew, r)
        assert np.array_equal(term, te) and np.array_equal(trunc, tr)
        for i, f in final.items():
            finals += 1
            assert info["_final_obs"][i]
            assert np.array_equal(info["final_obs"][i], f)
        if not final:
            assert "final_obs" not in info
    if id == "CartPole-v1":
        assert finals > 0


def test_vector_spaces():
    venv = ratchet.make_vec("Pendulum-v1", 3)
    assert venv.observation_space.shape == (3, 3)
    assert venv.action_space.shape == (3, 1)
    assert venv.num_envs == 3
