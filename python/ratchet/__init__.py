"""Ratchet: policy-gradient reinforcement learning in C++, from Python.

    import ratchet
    env = ratchet.make("CartPole-v1")                  # Gymnasium's Env API
    envs = ratchet.make_vec("HalfCheetah-v4", 8)       # Gymnasium 0.29's vector API, stepped in C++
    model = ratchet.PPO("CartPole-v1", seed=1)         # presets and keys as `ratchet train`
    model.learn(100_000)
    action, _ = model.predict(obs)
    model.save("runs/my-ppo")                          # a run directory: `ratchet eval runs/my-ppo`
    model = ratchet.load("runs/my-ppo")

Your own environment (any object with Gymnasium's Env API, or a callable making one) trains with
every algorithm: ratchet.PPO(MyEnv, n_envs=8).
"""
import atexit
import copy
import os
import secrets
import shutil
import tempfile

import numpy as np

from . import _ratchet, spaces
from ._ratchet import RatchetError

__all__ = ["make", "make_vec", "list_envs", "load_plugin", "register", "load", "DeployedPolicy", "RatchetError",
           "mpi_rank", "mpi_size", "build_report", "doctor", "VPG", "A2C", "NPG", "TRPO", "PPO", "PPOKL", "ACKTR", "spaces"]

try:  # pragma: no cover
    import gymnasium as _gym
    _EnvBase = _gym.Env
    _VecBase = _gym.vector.VectorEnv
except ImportError:
    _gym = None
    _EnvBase = object
    _VecBase = object


def list_envs():
    """Every registered environment id: built-in, from plugins, and registered from Python."""
    return _ratchet.list_envs()


def load_plugin(path):
    """Loads a C++ plugin library (see the README, "Your own environment")."""
    _ratchet.load_plugin(os.fspath(path))


def build_report():
    """What this build of Ratchet is and what it runs on: version, ISA level, compiler and flags,
    library and Debian package versions, this CPU and the cache sizes matrix products are planned
    for (the text of `ratchet --version` plus the machine)."""
    return _ratchet.build_report(True)


def doctor(algos=None, verbose=True):
    """Checks that this machine reproduces the golden bits recorded in the library: short runs of
    every algorithm (or of those in `algos`) on CartPole-v1 and HalfCheetah-v4, as `ratchet doctor`
    does. Prints the build report and one line per run when `verbose`. Returns True when every
    run gives the recorded bits, False when any differs, None when this build is not the kind the
    bits were recorded with (a native build, another ISA level)."""
    known = _ratchet.algorithms()
    for a in algos or []:
        if a not in known:
            raise RatchetError(f"unknown algorithm {a!r}; known: {', '.join(known)}")
    if verbose:
        print(build_report(), end="")
    mismatch = _ratchet.golden_build_mismatch()
    if mismatch:
        if verbose:
            print(f"golden bits: not checked: {mismatch}")
        return None
    same = True
    with tempfile.TemporaryDirectory(prefix="ratchet-doctor-") as scratch:
        for i, (algo, env, updates, recorded) in enumerate(_ratchet.golden_bits()):
            if algos is not None and algo not in algos:
                continue
            here = _ratchet.run_golden(algo, env, updates, os.path.join(scratch, str(i)))
            same &= here == recorded
            if verbose:
                print(f"  {algo:<7} {env:<15} {'same bits' if here == recorded else 'DIFFERENT BITS'}")
                if here != recorded:
                    print(f"    recorded: {recorded}\n    here:     {here}")
    return same


class _Spec:
    def __init__(self, d):
        self.id = d["id"]
        self.max_episode_steps = d["max_episode_steps"] or None
        self.reward_threshold = d["reward_threshold"]

    def __repr__(self):
        return f"EnvSpec(id={self.id!r}, max_episode_steps={self.max_episode_steps})"


def _to_action(space, action):
    if isinstance(space, spaces.Discrete):
        return np.asarray([int(action)], dtype=np.float32)
    return np.asarray(action, dtype=np.float32).reshape(-1)


class RatchetEnv(_EnvBase):
    """One Ratchet environment with Gymnasium's Env API. Observations are float32 arrays."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50}

    def __init__(self, id, render_mode=None, width=320, height=240):
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self._env = _ratchet.Env(id)
        d = self._env.spec()
        self.spec = _Spec(d)
        self.observation_space = spaces.from_spec(d["observation_space"])
        self.action_space = spaces.from_spec(d["action_space"])
        self.render_mode = render_mode
        if d["dt"] > 0:
            self.metadata = dict(self.metadata, render_fps=int(round(1.0 / d["dt"])))
        self._size = (width, height)
        self._seeded = False

    def reset(self, *, seed=None, options=None):
        if seed is None and not self._seeded:
            seed = secrets.randbits(63)  # never seeded: fresh entropy, as Gymnasium does
        if seed is not None:
            self._seeded = True
            for s in (self.observation_space, self.action_space):
                s.seed(int(seed))
        return self._env.reset(None if seed is None else int(seed)), {}

    def step(self, action):
        obs, reward, terminated, truncated, info = self._env.step(_to_action(self.action_space, action))
        return obs, float(reward), bool(terminated), bool(truncated), info

    def render(self):
        return self._env.render(*self._size)

    def close(self):
        pass


def make(id, render_mode=None, **kwargs):
    """A registered environment (built-in, plugin or Python) with Gymnasium's Env API."""
    return RatchetEnv(id, render_mode=render_mode, **kwargs)


class RatchetVectorEnv(_VecBase):
    """N copies of one environment stepped together in C++ (copy i seeded seed + i), with the GIL
    released. The arrays returned by reset and step are views of the environment's own buffers,
    rewritten in place by every step: copy them to keep them. A copy whose episode ends is reset in
    the same step; info["final_observation"] and info["final_info"] (with the "_" masks) hold what
    its episode ended with, as in Gymnasium 0.29."""

    def __init__(self, id, num_envs, threads=1):
        self._venv = _ratchet.VectorEnv(id, int(num_envs), int(threads))
        d = self._venv.spec()
        self.num_envs = self._venv.num_envs
        self.spec = _Spec(d)
        self.single_observation_space = spaces.from_spec(d["observation_space"])
        self.single_action_space = spaces.from_spec(d["action_space"])
        self.observation_space = spaces.batch(self.single_observation_space, self.num_envs)
        self.action_space = spaces.batch(self.single_action_space, self.num_envs)
        self._obs, self._final_obs = self._venv.obs(), self._venv.final_obs()
        self._rew, self._term, self._trunc = self._venv.rewards(), self._venv.terminated(), self._venv.truncated()
        self._discrete = isinstance(self.single_action_space, spaces.Discrete)
        self.closed = False

    def reset(self, *, seed=None, options=None):
        if seed is None:
            seed = secrets.randbits(63)
        self._venv.reset(int(seed))
        return self._obs, {}

    def step(self, actions):
        a = np.asarray(actions, dtype=np.float32)
        self._venv.step(a.reshape(self.num_envs, -1))
        infos = {}
        done = self._term | self._trunc
        if done.any():
            final_obs = np.empty(self.num_envs, dtype=object)
            final_info = np.empty(self.num_envs, dtype=object)
            for i in np.flatnonzero(done):
                final_obs[i] = self._final_obs[i].copy()
                final_info[i] = {}
            infos = {"final_observation": final_obs, "_final_observation": done.copy(),
                     "final_info": final_info, "_final_info": done.copy()}
        return self._obs, self._rew, self._term, self._trunc, infos

    def close(self):
        self.closed = True


def make_vec(id, num_envs, threads=1):
    """A vector environment of num_envs copies of `id`, stepped in C++ on `threads` threads
    (results are identical for any thread count)."""
    return RatchetVectorEnv(id, num_envs, threads)


#---------------------------------- Python environments ------------------------------------------

_registered = {}  # id -> factory


def register(id, factory, max_episode_steps=None, reward_threshold=None):
    """Registers a Python environment: `factory` (a class or callable) makes one instance with
    Gymnasium's Env API. Afterwards `id` works everywhere a built-in id does (make, make_vec, the
    algorithms)."""
    _ratchet.register_python_env(id, factory, -1 if max_episode_steps is None else int(max_episode_steps),
                                 reward_threshold)
    _registered[id] = factory


@atexit.register
def _unregister_python_envs():
    # the registry holds Python objects: release them while the interpreter is still alive
    for id in list(_registered):
        _ratchet.unregister_env(id)
    _registered.clear()


def _env_id(env):
    """The registered id for env: an id string, or a Python env class / callable / instance."""
    if isinstance(env, str):
        return env
    if isinstance(env, RatchetEnv):
        return env.spec.id
    for id, factory in _registered.items():
        if factory is env:
            return id
    if isinstance(env, type) or (callable(env) and not hasattr(env, "step")):
        factory = env
        name = getattr(env, "__name__", type(env).__name__)
    else:
        instance = env
        factory = lambda: copy.deepcopy(instance)  # noqa: E731 - one copy per vector slot
        name = type(env).__name__
    spec = getattr(env, "spec", None)
    base = getattr(spec, "id", None) or f"{name}-py"
    id, k = base, 2
    while id in _ratchet.list_envs():
        id, k = f"{base}-{k}", k + 1
    register(id, factory)
    _registered[id] = env
    return id


#---------------------------------- Algorithms --------------------------------------------------

def _text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (list, tuple)):
        return ",".join(str(x) for x in v)
    return str(v)


def mpi_rank():
    """This process's rank in its MPI job (0 when it was not started by mpirun)."""
    return _ratchet.mpi_rank()


def mpi_size():
    """The number of ranks of this process's MPI job (1 when it was not started by mpirun). Under
    `mpirun -np K python3 train.py` every rank runs the script; learn() splits the environment
    copies (n_envs) over the ranks and gives the bits of one process; rank 0 writes the run."""
    return _ratchet.mpi_size()


class _Algorithm:
    """Trains one algorithm on one environment into a run directory (the CLI's format)."""

    algo = None

    def __init__(self, env="CartPole-v1", seed=1, run_dir=None, verbose=0, **hyperparameters):
        self.env_id = _env_id(env)
        self.seed = int(seed)
        self.verbose = verbose
        self._sets = [f"{k}={_text(v)}" for k, v in hyperparameters.items()]
        # resolves preset <- keys now, so that an unknown key or a bad value fails here
        self.config = _ratchet.resolve_config(self.algo, self.env_id, self.seed, None, self._sets)
        if run_dir is not None:
            self.run_dir = os.fspath(run_dir)
        elif _ratchet.mpi_size() > 1:
            # one run directory for the job: rank 0's
            self.run_dir = _ratchet._broadcast_text(tempfile.mkdtemp(
                prefix=f"ratchet-{self.algo}-{self.env_id}-s{self.seed}-") if _ratchet.mpi_rank() == 0 else "")
        else:
            self.run_dir = tempfile.mkdtemp(prefix=f"ratchet-{self.algo}-{self.env_id}-s{self.seed}-")
        self._model = None
        self.num_timesteps = 0

    def learn(self, total_timesteps, callback=None, progress_bar=False):
        """Trains for total_timesteps environment steps (more on later calls: training continues
        from the checkpoint). callback(stats) gets each update's progress row as a dict; returning
        False stops training. Ctrl-C writes a checkpoint and raises KeyboardInterrupt."""
        if self._model is None and self.num_timesteps == 0:
            res = _ratchet.train(self.algo, self.env_id, self.seed, int(total_timesteps), self._sets, self.run_dir,
                                 callback, bool(progress_bar or self.verbose))
        else:
            res = _ratchet.resume(self.run_dir, self.num_timesteps + int(total_timesteps), callback,
                                  bool(progress_bar or self.verbose))
        self.num_timesteps = res.steps
        if not res.stopped:
            self._model = _ratchet.Model(self.run_dir)
        return self

    def _loaded(self):
        if self._model is None:
            raise RatchetError("the model has not finished training yet: call learn() or ratchet.load()")
        return self._model

    def predict(self, observation, state=None, episode_start=None, deterministic=True):
        """The action for one observation, or actions for a batch (B, obs_dim), as evaluation
        takes them (normalised with the frozen statistics, clipped to the action bounds).
        Returns (action, None) as Stable-Baselines3 does."""
        a = self._loaded().predict(np.asarray(observation, dtype=np.float32), deterministic)
        if isinstance(self.action_space, spaces.Discrete):
            a = a[..., 0].astype(np.int64)
            if a.ndim == 0:
                a = int(a)
        return a, None

    def evaluate(self, episodes=10, seed=1_000_000_000, deterministic=True):
        """Mean and std of the return over `episodes` episodes (episode k reset with seed + k)."""
        r = self._loaded().evaluate(int(episodes), int(seed), bool(deterministic))
        return r.mean, r.std

    def save(self, path):
        """Copies the run directory to `path` (which must not exist or be empty)."""
        self._loaded()
        path = os.fspath(path)
        if os.path.exists(path) and os.listdir(path):
            raise RatchetError(f"'{path}' already exists and is not empty; nothing was overwritten")
        if os.path.abspath(path) != os.path.abspath(self.run_dir):
            shutil.copytree(self.run_dir, path, dirs_exist_ok=True)

    def export(self, path):
        """Writes the policy as a .rpol file (ratchet.DeployedPolicy, or C++ ratchet::DeployedPolicy)."""
        self._loaded().export(os.fspath(path))

    @property
    def observation_space(self):
        return spaces.from_spec(_ratchet.env_spec(self.env_id)["observation_space"])

    @property
    def action_space(self):
        return spaces.from_spec(_ratchet.env_spec(self.env_id)["action_space"])


def _algorithm(name, cls_name, doc):
    return type(cls_name, (_Algorithm,), {"algo": name, "__doc__": doc})


VPG = _algorithm("vpg", "VPG", "REINFORCE / vanilla policy gradient (rewards-to-go, optional baseline).")
A2C = _algorithm("a2c", "A2C", "Advantage actor-critic with GAE.")
NPG = _algorithm("npg", "NPG", "Natural policy gradient (conjugate gradient on Fisher-vector products).")
TRPO = _algorithm("trpo", "TRPO", "Trust region policy optimisation (NPG plus a line search).")
PPO = _algorithm("ppo", "PPO", "PPO with the clipped surrogate.")
PPOKL = _algorithm("ppo-kl", "PPOKL", "PPO with the adaptive KL penalty.")
ACKTR = _algorithm("acktr", "ACKTR", "Actor-critic with Kronecker-factored trust region (K-FAC).")
_CLASSES = {c.algo: c for c in (VPG, A2C, NPG, TRPO, PPO, PPOKL, ACKTR)}


def load(path):
    """A trained model from a run directory (written by Python or by `ratchet train`)."""
    path = os.fspath(path)
    model = _ratchet.Model(path)
    obj = _CLASSES[model.algo].__new__(_CLASSES[model.algo])
    obj.env_id, obj.run_dir, obj._model, obj.verbose, obj._sets = model.env, path, model, 0, []
    obj.seed, obj.num_timesteps, obj.config = None, 0, open(os.path.join(path, "config.yaml")).read()
    return obj


class DeployedPolicy:
    """A policy exported by `ratchet export` or model.export(): act(obs) for one observation or a
    batch, bit-identical to C++ ratchet::DeployedPolicy."""

    def __init__(self, path):
        self._p = _ratchet.DeployedPolicy(os.fspath(path))
        self.obs_dim, self.action_dim, self.discrete = self._p.obs_dim, self._p.action_dim, self._p.discrete

    def act(self, obs):
        a = self._p.act(np.asarray(obs, dtype=np.float32))
        if self.discrete:
            a = a[..., 0].astype(np.int64)
            return int(a) if a.ndim == 0 else a
        return a
