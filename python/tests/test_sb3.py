"""ratchet.sb3 against the real Stable-Baselines3 (python/requirements-test.txt): the C++-stepped
VecEnv gives step for step what SB3's own DummyVecEnv gives over Ratchet's single environments
(observations, rewards, dones, terminal observations, TimeLimit.truncated, episode statistics), so
SB3's PPO trains on it to the very same parameters; and its API holds where SB3 reaches into it."""
import numpy as np
import pytest

import ratchet

sb3 = pytest.importorskip("stable_baselines3")
torch = pytest.importorskip("torch")
from stable_baselines3.common.env_util import make_vec_env as sb3_make_vec_env  # noqa: E402
from stable_baselines3.common.evaluation import evaluate_policy  # noqa: E402
from stable_baselines3.common.monitor import Monitor  # noqa: E402
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv  # noqa: E402

from ratchet.sb3 import RatchetVecEnv, make_vec_env  # noqa: E402


def _dummy(id, n, seed, **kwargs):
    """SB3's own vector environment over Ratchet's single environments, each in SB3's Monitor."""
    venv = sb3_make_vec_env(lambda: ratchet.make(id, **kwargs), n_envs=n, seed=seed, vec_env_cls=DummyVecEnv)
    return venv


@pytest.mark.parametrize("id,steps", [("CartPole-v1", 1500), ("Pendulum-v1", 450), ("Hopper-v5", 600)])
def test_steps_equal_sb3s_dummy_vec_env(id, steps):
    ours, theirs = make_vec_env(id, 3, seed=11), _dummy(id, 3, 11)
    assert isinstance(ours, VecEnv)
    np.testing.assert_array_equal(ours.reset(), theirs.reset())
    rng = np.random.default_rng(0)
    ends = 0
    for t in range(steps):
        if isinstance(ours.action_space, ratchet.spaces.Discrete):
            a = rng.integers(0, ours.action_space.n, 3)
        else:
            a = rng.uniform(-1, 1, (3,) + ours.action_space.shape).astype(np.float32)
        o1, r1, d1, i1 = ours.step(a)
        o2, r2, d2, i2 = theirs.step(a)
        np.testing.assert_array_equal(o1, o2, err_msg=f"step {t}")
        np.testing.assert_array_equal(r1, r2.astype(np.float32), err_msg=f"step {t}")
        np.testing.assert_array_equal(d1, d2, err_msg=f"step {t}")
        for a_, b_ in zip(i1, i2):
            assert a_["TimeLimit.truncated"] == b_["TimeLimit.truncated"]
            assert ("terminal_observation" in a_) == ("terminal_observation" in b_)
            if "terminal_observation" in a_:
                ends += 1
                np.testing.assert_array_equal(a_["terminal_observation"], b_["terminal_observation"])
                assert a_["episode"]["l"] == b_["episode"]["l"]
                assert a_["episode"]["r"] == pytest.approx(b_["episode"]["r"], rel=1e-6)
    assert ends >= 3  # episode ends were compared
    # an unseeded reset continues every copy's stream, as DummyVecEnv's does
    np.testing.assert_array_equal(ours.reset(), theirs.reset())


def test_sb3_ppo_trains_to_the_same_parameters_as_on_its_own_vec_env():
    torch.set_num_threads(1)

    def train(env):
        model = sb3.PPO("MlpPolicy", env, n_steps=256, batch_size=64, n_epochs=2, seed=5, device="cpu")
        model.learn(2048)
        return torch.cat([p.detach().flatten() for p in model.policy.parameters()]), model

    ours, model = train(make_vec_env("CartPole-v1", 4, seed=5))
    theirs, _ = train(_dummy("CartPole-v1", 4, 5))
    assert torch.equal(ours, theirs)
    shorter, _ = train(make_vec_env("CartPole-v1", 4, seed=5, max_episode_steps=30))
    assert not torch.equal(shorter, theirs)  # the comparison sees a change in the environment
    assert len(model.ep_info_buffer) > 10  # SB3's logger saw the episodes (info["episode"])
    mean, _ = evaluate_policy(model, make_vec_env("CartPole-v1", 2, seed=100), n_eval_episodes=4, warn=True)
    assert mean > 0


def test_the_vec_env_api_sb3_reaches_into():
    env = make_vec_env("HalfCheetah-v5", 2, seed=0, threads=2, env_kwargs={"ctrl_cost_weight": 0.5})
    assert env.observation_space.shape == (17,) and env.num_envs == 2
    assert env.get_attr("render_mode") == [None, None]
    env.set_attr("difficulty", 3, indices=[1])
    assert env.get_attr("difficulty", indices=1) == [3]
    assert env.env_method("get_wrapper_attr", "difficulty", indices=[1]) == [3]
    assert env.env_is_wrapped(Monitor) == [True, True]
    assert not env.has_attr("no_such_attribute")
    with pytest.raises(AttributeError, match="no Python method 'compute_reward'"):
        env.env_method("compute_reward")
    env.reset()
    env.seed(4)
    first = env.reset()
    env.seed(4)
    assert np.array_equal(env.reset(), first)  # seeds apply at the next reset, copy i seed + i
    env._seeds = [4, 9]
    with pytest.raises(ValueError, match="seed, seed \\+ 1"):
        env.reset()
    cart = make_vec_env("CartPole-v1", 2, seed=0)
    cart.set_options({"low": 0.0, "high": 0.0})
    assert not cart.reset().any()
    with pytest.raises(ValueError):
        cart.step(np.array([0, 2]))
    assert isinstance(RatchetVecEnv("Pendulum-v1", 2), VecEnv)
