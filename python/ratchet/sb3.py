"""Ratchet's C++ vector environments as Stable-Baselines3 VecEnvs.

    from stable_baselines3 import PPO
    from ratchet.sb3 import make_vec_env

    env = make_vec_env("HalfCheetah-v4", n_envs=8, seed=0)
    PPO("MlpPolicy", env).learn(100_000)

The copies are stepped together in C++ (threads=N spreads them over N threads; results do not
depend on N), with Stable-Baselines3's conventions: a copy whose episode ends is reset within the
step that ends it, its last observation in info["terminal_observation"], info["TimeLimit.truncated"]
true when the time limit (and not the task) ended it, and info["episode"] = {"r", "l", "t"} as
SB3's Monitor writes it (so the logger's ep_rew_mean and evaluate_policy work without a wrapper;
env_is_wrapped(Monitor) is True). Copy i is seeded seed + i, as SB3 seeds its own vector
environments; an unseeded reset continues every copy's random stream. Observations and rewards
are float32, as SB3's DummyVecEnv gives them. Per-step info from the tasks (the MuJoCo reward
terms) is not passed on."""
import secrets
import time

import numpy as np

try:
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import VecEnv
except ImportError as e:  # pragma: no cover - the message is the point
    raise ImportError("ratchet.sb3 needs Stable-Baselines3: pip install stable-baselines3") from e

from . import _env_kwargs, _ratchet, _reset_options, spaces

__all__ = ["RatchetVecEnv", "make_vec_env"]


class RatchetVecEnv(VecEnv):
    """n_envs copies of a Ratchet environment (built-in, plugin or registered from Python) as a
    Stable-Baselines3 VecEnv; see the module's documentation."""

    def __init__(self, env_id, n_envs=1, threads=1, max_episode_steps=None, env_kwargs=None):
        limit = -1 if max_episode_steps is None else int(max_episode_steps)
        self._id = env_id
        self._venv = _ratchet.VectorEnv(env_id, int(n_envs), int(threads), limit, _env_kwargs(env_id, env_kwargs or {}))
        d = self._venv.spec()
        self._attrs = [dict() for _ in range(self._venv.num_envs)]
        self._render_mode = None
        self._spec = d
        super().__init__(self._venv.num_envs, spaces.from_spec(d["observation_space"]),
                         spaces.from_spec(d["action_space"]))
        self._obs, self._final_obs = self._venv.obs(), self._venv.final_obs()
        self._rew, self._term, self._trunc = self._venv.rewards(), self._venv.terminated(), self._venv.truncated()
        self._rew64 = self._venv.rewards64()
        self._discrete = isinstance(self.action_space, spaces.Discrete)
        self._act_dim = 1 if self._discrete else int(np.prod(self.action_space.shape))
        self._actions = None
        self._seeded = False
        self._ep_ret = np.zeros(self.num_envs)
        self._ep_len = np.zeros(self.num_envs, np.int64)
        self._t0 = time.time()

    # SB3's VecEnv API -------------------------------------------------------------------------

    def reset(self):
        seeds = self._seeds
        if any(s is not None for s in seeds):
            if any(s is None for s in seeds) or any(int(s) != int(seeds[0]) + i for i, s in enumerate(seeds)):
                raise ValueError(f"{self._id}: the copies are seeded seed, seed + 1, ...; got seeds {seeds}")
        options = self._options[0] if self._options else {}
        if any(o != options for o in self._options):
            raise ValueError(f"{self._id}: every copy takes the same reset options; got {self._options}")
        opts = _reset_options(self._id, options)
        if seeds[0] is not None:
            self._venv.reset(int(seeds[0]), opts)
            self._seeded = True
        elif not self._seeded:  # never seeded: fresh entropy, as Gymnasium's environments
            self._venv.reset(secrets.randbits(63), opts)
            self._seeded = True
        else:
            self._venv.reset_all(opts)
        self._reset_seeds()
        self._reset_options()
        self.reset_infos = [{} for _ in range(self.num_envs)]
        self._ep_ret[:] = 0
        self._ep_len[:] = 0
        return self._obs.copy()

    def step_async(self, actions):
        a = np.asarray(actions)
        if self._discrete:
            a = a.reshape(self.num_envs)
            if a.dtype.kind not in "iu" and not np.array_equal(a, np.round(a)):
                raise ValueError(f"{self._id}: discrete actions must be integers, got {actions!r}")
            if ((a < 0) | (a >= self.action_space.n)).any():
                raise ValueError(f"{self._id}: actions must be in [0, {self.action_space.n}), got {actions!r}")
        self._actions = np.ascontiguousarray(a, dtype=np.float32).reshape(self.num_envs, self._act_dim)

    def step_wait(self):
        if self._actions is None:
            raise RuntimeError(f"{self._id}: step_wait() without step_async()")
        self._venv.step(self._actions, None)
        self._actions = None
        rewards = self._rew.copy()
        dones = self._term | self._trunc
        self._ep_ret += self._rew64
        self._ep_len += 1
        infos = [{} for _ in range(self.num_envs)]
        for i in np.flatnonzero(dones):
            infos[i]["TimeLimit.truncated"] = bool(self._trunc[i] and not self._term[i])
            infos[i]["terminal_observation"] = self._final_obs[i].copy()
            infos[i]["episode"] = {"r": float(self._ep_ret[i]), "l": int(self._ep_len[i]),
                                   "t": round(time.time() - self._t0, 6)}
            self._ep_ret[i], self._ep_len[i] = 0.0, 0
        for i in np.flatnonzero(~dones):
            infos[i]["TimeLimit.truncated"] = False
        return self._obs.copy(), rewards, dones, infos

    def close(self):
        pass

    def _indices(self, indices):
        if indices is None:
            return range(self.num_envs)
        if isinstance(indices, (int, np.integer)):
            return [int(indices)]
        return [int(i) for i in indices]

    def _attr(self, i, name):
        fixed = {"render_mode": self._render_mode, "observation_space": self.observation_space,
                 "action_space": self.action_space, "spec": self._spec}
        if name in self._attrs[i]:
            return self._attrs[i][name]
        if name in fixed:
            return fixed[name]
        if name == "metadata":
            return {"render_modes": [], "render_fps": int(round(1 / self._spec["dt"])) if self._spec["dt"] else 50}
        raise AttributeError(f"{self._id}: the copies have no attribute {name!r} (they have render_mode, spec, "
                             "metadata, observation_space, action_space and what set_attr set)")

    def get_attr(self, attr_name, indices=None):
        return [self._attr(i, attr_name) for i in self._indices(indices)]

    def set_attr(self, attr_name, value, indices=None):
        for i in self._indices(indices):
            self._attrs[i][attr_name] = value

    def env_method(self, method_name, *method_args, indices=None, **method_kwargs):
        if method_name == "get_wrapper_attr":
            return self.get_attr(*method_args, indices=indices, **method_kwargs)
        if method_name == "set_wrapper_attr":
            return [self.set_attr(*method_args, indices=[i], **method_kwargs) for i in self._indices(indices)]
        if method_name == "has_wrapper_attr":
            return [self.has_attr(*method_args) for _ in self._indices(indices)]
        raise AttributeError(f"{self._id}: the copies are stepped in C++ and have no Python method {method_name!r} "
                             "(env_method takes get_wrapper_attr, set_wrapper_attr and has_wrapper_attr)")

    def env_is_wrapped(self, wrapper_class, indices=None):
        # the episode statistics SB3's Monitor adds are in info["episode"]
        return [wrapper_class is Monitor for _ in self._indices(indices)]

    def get_images(self):
        raise NotImplementedError(f"{self._id}: the vector environment does not render; make one environment with "
                                  "ratchet.make(id, render_mode='rgb_array')")


def make_vec_env(env_id, n_envs=1, seed=None, threads=1, max_episode_steps=None, env_kwargs=None):
    """n_envs copies of Ratchet's `env_id` as a Stable-Baselines3 VecEnv stepped in C++ (the
    counterpart of SB3's make_vec_env); seed: copy i gets seed + i at the first reset."""
    env = RatchetVecEnv(env_id, n_envs, threads=threads, max_episode_steps=max_episode_steps, env_kwargs=env_kwargs)
    if seed is not None:
        env.seed(seed)
    return env
