"""Ratchet: policy-gradient reinforcement learning in C++, from Python.

    import ratchet
    env = ratchet.make("CartPole-v1")                  # Gymnasium's Env API
    envs = ratchet.make_vec("HalfCheetah-v4", 8)       # a Gymnasium 1.x VectorEnv, stepped in C++
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
import functools
import importlib
import json
import numbers
import os
import re
import secrets
import shutil
import sys
import tempfile
import warnings
import weakref

import numpy as np

from . import _ratchet, spaces
from ._ratchet import RatchetError

__all__ = ["make", "make_vec", "list_envs", "load_plugin", "register", "load", "sweep", "tune", "read_runs", "DeployedPolicy", "RatchetError", "InvalidAction", "RatchetEnv", "RatchetVectorEnv",
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


# Gymnasium's render_fps for the classic environments (the others: 1 / dt, as Gymnasium's MuJoCo)
_RENDER_FPS = {"CartPole-v0": 50, "CartPole-v1": 50, "Pendulum-v1": 30, "Acrobot-v1": 15,
               "MountainCarContinuous-v0": 30}
_GYM_NAMESPACE = "ratchet"


class _Spec:
    """The spec of an environment when Gymnasium is not installed (Gymnasium's EnvSpec otherwise)."""

    def __init__(self, id, max_episode_steps, reward_threshold):
        self.id, self.max_episode_steps, self.reward_threshold = id, max_episode_steps, reward_threshold
        self.kwargs = {}

    def __repr__(self):
        return f"EnvSpec(id={self.id!r}, max_episode_steps={self.max_episode_steps})"


def _spec_of(id, d, max_episode_steps, env_kwargs=None):
    """Gymnasium's EnvSpec of ratchet/<id> (what gymnasium.make(spec) makes again), with the time
    limit and keyword arguments this instance has."""
    if _gym is None:
        spec = _Spec(id, max_episode_steps, d["reward_threshold"])
        spec.kwargs = dict(env_kwargs or {})
        return spec
    return _gym.envs.registration.EnvSpec(
        id=f"{_GYM_NAMESPACE}/{id}", entry_point="ratchet:_gymnasium_env", vector_entry_point="ratchet:_gymnasium_vector_env",
        reward_threshold=d["reward_threshold"], max_episode_steps=max_episode_steps,
        kwargs={"env_id": id, **(env_kwargs or {})}, disable_env_checker=False)


def _kwarg_text(id, key, v):
    """A keyword argument as the core takes it: text ("0.2", "true", "[0.2, 1.0]", "ant.xml")."""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        return repr(float(v))
    if isinstance(v, (str, os.PathLike)):
        return os.fspath(v)
    if isinstance(v, (list, tuple, np.ndarray)) and all(
            isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_)) for x in np.asarray(v, dtype=object).ravel()):
        return "[" + ", ".join(repr(float(x)) for x in np.asarray(v, dtype=float).ravel()) + "]"
    raise TypeError(f"{id}: keyword argument {key}={v!r} must be a number, a boolean, a string or a list of numbers")


def _env_kwargs(id, kwargs):
    return {str(k): _kwarg_text(id, k, v) for k, v in kwargs.items()}


def _render_fps(id, d):
    return _RENDER_FPS.get(id) or (int(round(1.0 / d["dt"])) if d["dt"] > 0 else 50)


def _reset_options(id, options):
    """Gymnasium's reset options as the core takes them (text values); an environment refuses
    the ones it does not take (ValueError), never ignoring them."""
    if not options:
        return {}
    if not isinstance(options, dict):
        raise ValueError(f"{id}: reset options must be a dict, got {options!r}")
    try:
        return _env_kwargs(id, options)
    except TypeError as e:
        raise ValueError(str(e)) from None


class RatchetEnv(_EnvBase):
    """One Ratchet environment with Gymnasium's Env API. Observations are float32 arrays.

    render_mode None or "rgb_array" (frames of width x height); max_episode_steps replaces the
    registered time limit (0: none); any other keyword argument goes to the environment's
    constructor (the MuJoCo tasks take Gymnasium's: xml_file, frame_skip, ctrl_cost_weight, ...).
    reset(seed=...) seeds the environment and np_random."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50}

    def __init__(self, id, render_mode=None, width=320, height=240, max_episode_steps=None, **env_kwargs):
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array' (Ratchet draws frames, it opens no window), "
                             f"got {render_mode!r}")
        limit = -1 if max_episode_steps is None else int(max_episode_steps)
        self._env = _ratchet.Env(id, limit, _env_kwargs(id, env_kwargs))
        d = self._env.spec()
        self.spec = _spec_of(id, d, d["max_episode_steps"] or None, env_kwargs)
        self.observation_space = spaces.from_spec(d["observation_space"])
        self.action_space = spaces.from_spec(d["action_space"])
        self.render_mode = render_mode
        self.metadata = dict(self.metadata, render_fps=_render_fps(id, d))
        self._id = id
        self._size = (width, height)
        self._seeded = False
        self._needs_reset = True

    def reset(self, *, seed=None, options=None):
        if _gym is not None:
            super().reset(seed=seed)  # np_random, as Gymnasium's own environments seed it
        opts = _reset_options(self._id, options)
        if seed is None and not self._seeded:
            # never seeded: from np_random, itself from fresh entropy, as Gymnasium does
            seed = int(self.np_random.integers(2**63)) if _gym is not None else secrets.randbits(63)
        if seed is not None:
            self._seeded = True
            for s in (self.observation_space, self.action_space):
                s.seed(int(seed))
        try:
            out = self._env.reset(None if seed is None else int(seed), opts)
        except RatchetError as e:
            if opts:  # the options were refused: Gymnasium's ValueError
                raise ValueError(str(e)) from None
            raise
        self._needs_reset = False
        return out

    def step(self, action):
        if self._needs_reset:
            raise (_gym.error.ResetNeeded if _gym is not None else RuntimeError)(
                f"{self._id}: call reset() before step()")
        obs, reward, terminated, truncated, info = self._env.step(_to_action(self._id, self.action_space, action))
        return obs, float(reward), bool(terminated), bool(truncated), info

    def render(self):
        if self.render_mode is None:
            warnings.warn(f"{self._id}: render() without a render_mode returns nothing; make the environment with "
                          "render_mode='rgb_array'", stacklevel=2)
            return None
        return self._env.render(*self._size)

    def close(self):
        pass


class InvalidAction(*((_gym.error.InvalidAction,) if _gym is not None else ()), ValueError):
    """An action outside the action space (Gymnasium's InvalidAction, and a ValueError)."""


def _to_action(id, space, action):
    """The action as the core takes it; a discrete action must be an integer of the space."""
    if isinstance(space, spaces.Discrete):
        a = np.asarray(action)
        if a.ndim != 0 or a.dtype.kind not in "iu" or not 0 <= int(a) < space.n:
            raise InvalidAction(f"{id}: invalid action {action!r}: expected an integer in [0, {space.n})")
        return np.asarray([int(a)], dtype=np.float32)
    return np.asarray(action, dtype=np.float32).reshape(-1)


def make(id, render_mode=None, **kwargs):
    """A registered environment (built-in, plugin or Python) with Gymnasium's Env API. Keyword
    arguments: width, height (of rendered frames), max_episode_steps, and the environment's own
    (ratchet.make("Ant-v5", ctrl_cost_weight=0.1)); an unknown one is an error naming the ones
    the environment takes."""
    return RatchetEnv(id, render_mode=render_mode, **kwargs)


def _gymnasium_env(env_id, render_mode=None, **kwargs):
    """gymnasium.make("ratchet/<id>"): the environment without a time limit of its own, since
    Gymnasium's TimeLimit wrapper applies the spec's (or make's max_episode_steps)."""
    return RatchetEnv(env_id, render_mode=render_mode, max_episode_steps=0, **kwargs)


def _gymnasium_vector_env(env_id, num_envs, max_episode_steps=None, **kwargs):
    """gymnasium.make_vec("ratchet/<id>", n): the vector environment, stepped in C++."""
    return RatchetVectorEnv(env_id, num_envs, max_episode_steps=max_episode_steps, **kwargs)


def _register_with_gymnasium():
    """Every built-in environment as ratchet/<id> in Gymnasium's registry."""
    if _gym is None:
        return
    for id in _ratchet.list_envs():
        name = f"{_GYM_NAMESPACE}/{id}"
        if name not in _gym.registry:
            d = _ratchet.env_spec(id)
            _gym.register(name, entry_point="ratchet:_gymnasium_env", vector_entry_point="ratchet:_gymnasium_vector_env",
                          max_episode_steps=d["max_episode_steps"] or None, reward_threshold=d["reward_threshold"],
                          kwargs={"env_id": id})


if _gym is not None and hasattr(_gym.vector, "AutoresetMode"):
    _NEXT_STEP, _SAME_STEP = _gym.vector.AutoresetMode.NEXT_STEP, _gym.vector.AutoresetMode.SAME_STEP
else:  # Gymnasium 0.29, or none
    _NEXT_STEP, _SAME_STEP = "next_step", "same_step"
_GYMNASIUM_1 = _gym is not None and hasattr(_gym.vector, "AutoresetMode")


class RatchetVectorEnv(_VecBase):
    """N copies of one environment stepped together in C++ (copy i seeded seed + i), with the GIL
    released; a gymnasium.vector.VectorEnv.

    autoreset_mode "next_step" (Gymnasium 1.x's default): a copy whose episode ends returns its
    last observation with terminated/truncated set, and is reset by the next step, which takes no
    action from it and returns its first observation, reward 0 and both flags false.
    "same_step" (Gymnasium 0.29's behaviour): it is reset within the step that ends its episode;
    info["final_obs"] and info["final_info"] (with the "_" masks) hold what the episode ended with
    (info["final_observation"] under Gymnasium 0.29).

    Rewards are float64. The arrays returned are fresh copies; with copy=False, observations,
    flags and rewards are views of the environment's own buffers, rewritten by the next step (no
    copying at all)."""

    def __init__(self, id, num_envs, threads=1, autoreset_mode=None, copy=True, max_episode_steps=None,
                 render_mode=None, **env_kwargs):
        if render_mode is not None:
            raise ValueError("the vector environment does not render; make one environment with render_mode='rgb_array'")
        mode = autoreset_mode if autoreset_mode is not None else (_NEXT_STEP if _GYMNASIUM_1 else _SAME_STEP)
        if _GYMNASIUM_1 and isinstance(mode, str):
            mode = {"next_step": _NEXT_STEP, "same_step": _SAME_STEP}.get(mode.lower(), mode)
        if mode not in (_NEXT_STEP, _SAME_STEP):
            raise ValueError(f"autoreset_mode must be next_step or same_step, got {autoreset_mode!r}")
        self._next_step = mode == _NEXT_STEP
        limit = -1 if max_episode_steps is None else int(max_episode_steps)
        self._venv = _ratchet.VectorEnv(id, int(num_envs), int(threads), limit, _env_kwargs(id, env_kwargs))
        d = self._venv.spec()
        self._id = id
        self.num_envs = self._venv.num_envs
        self.spec = _spec_of(id, d, d["max_episode_steps"] or None, env_kwargs)
        self.metadata = {"autoreset_mode": mode, "render_modes": [], "render_fps": _render_fps(id, d)}
        self.render_mode = None
        self.single_observation_space = spaces.from_spec(d["observation_space"])
        self.single_action_space = spaces.from_spec(d["action_space"])
        self.observation_space = spaces.batch(self.single_observation_space, self.num_envs)
        self.action_space = spaces.batch(self.single_action_space, self.num_envs)
        self._obs, self._final_obs = self._venv.obs(), self._venv.final_obs()
        self._term, self._trunc = self._venv.terminated(), self._venv.truncated()
        self._rew64 = self._venv.rewards64()  # float64, as the environments returned them
        self._discrete = isinstance(self.single_action_space, spaces.Discrete)
        self._copy = bool(copy)
        self._autoreset = np.zeros(self.num_envs, bool)  # next_step: copies the next step resets
        self._first_obs = None  # next_step: their first observations, while their rows show the last
        self._needs_reset = True
        self.closed = False

    def reset(self, *, seed=None, options=None):
        opts = _reset_options(self._id, options)
        if isinstance(seed, (list, tuple)):
            if len(seed) != self.num_envs or any(s is None for s in seed) or \
                    any(int(b) != int(seed[0]) + i for i, b in enumerate(seed)):
                raise ValueError(f"{self._id}: seed must be an int (copy i gets seed + i) or the list "
                                 "[seed, seed + 1, ...], one per copy")
            seed = seed[0]
        if seed is None:
            seed = secrets.randbits(63)
        try:
            self._venv.reset(int(seed), opts)
        except RatchetError as e:
            if opts:
                raise ValueError(str(e)) from None
            raise
        self._autoreset[:] = False
        self._first_obs = None
        self._needs_reset = False
        return (self._obs.copy() if self._copy else self._obs), {}

    def step(self, actions):
        if self._needs_reset:
            raise (_gym.error.ResetNeeded if _gym is not None else RuntimeError)(
                f"{self._id}: call reset() before step()")
        a = np.asarray(actions)
        if self._discrete:
            if a.shape != (self.num_envs,) or a.dtype.kind not in "iu" or \
                    ((a < 0) | (a >= self.single_action_space.n)).any():
                raise InvalidAction(f"{self._id}: actions must be {self.num_envs} integers in "
                            f"[0, {self.single_action_space.n}), got {actions!r}")
        a = a.astype(np.float32, copy=False)
        skip = self._autoreset if self._next_step and self._autoreset.any() else None
        self._venv.step(a.reshape(self.num_envs, -1), skip)
        if self._first_obs is not None:  # the copies reset by this step show their first observation
            self._obs[self._autoreset] = self._first_obs
            self._first_obs = None
        infos = {}
        done = self._term | self._trunc
        if self._next_step:
            self._autoreset = done.copy()
            if done.any():  # the episode's last observation now, its successor's first one next step
                self._first_obs = self._obs[done].copy()
                self._obs[done] = self._final_obs[done]
        elif done.any():
            final_obs = np.empty(self.num_envs, dtype=object)
            final_info = np.empty(self.num_envs, dtype=object)
            for i in np.flatnonzero(done):
                final_obs[i] = self._final_obs[i].copy()
                final_info[i] = {}
            keys = ("final_obs", "final_info") if _GYMNASIUM_1 else ("final_observation", "final_info")
            infos = {keys[0]: final_obs, "_" + keys[0]: done.copy(), keys[1]: final_info, "_" + keys[1]: done.copy()}
        if self._copy:
            return self._obs.copy(), self._rew64.copy(), self._term.copy(), self._trunc.copy(), infos
        return self._obs, self._rew64, self._term, self._trunc, infos

    def close_extras(self, **kwargs):
        self.closed = True

    def close(self, **kwargs):
        self.closed = True


def make_vec(id, num_envs, threads=1, autoreset_mode=None, copy=True, max_episode_steps=None, **env_kwargs):
    """A vector environment of num_envs copies of `id`, stepped in C++ on `threads` threads
    (results are identical for any thread count); see RatchetVectorEnv for the autoreset modes.
    Other keyword arguments go to the environment's constructor, as with make."""
    return RatchetVectorEnv(id, num_envs, threads, autoreset_mode=autoreset_mode, copy=copy,
                            max_episode_steps=max_episode_steps, **env_kwargs)


#---------------------------------- Python environments ------------------------------------------

_registered = {}  # id -> factory
_recipes = {}  # id -> how to rebuild it in another process (python_env.json of its runs), or None
_preset_ids = {}  # id -> the id whose preset applies (a Gymnasium env registered under another id)


def _importable(obj):
    """'module:qualname' when obj can be imported again by that name, else None."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        return None
    return f"{module}:{qualname}"


def _jsonable(v):
    try:
        json.dumps(v)
        return True
    except (TypeError, ValueError):
        return False


def _recipe(env):
    """How to make `env` (a class, callable or instance) again in a new process, or None."""
    if isinstance(env, functools.partial):
        target = _importable(env.func)
        if target and _jsonable(list(env.args)) and _jsonable(env.keywords):
            return {"factory": target, "args": list(env.args), "kwargs": env.keywords}
        return None
    if isinstance(env, type) or callable(env) and not hasattr(env, "step"):
        target = _importable(env)
        return {"factory": target, "args": [], "kwargs": {}} if target else None
    spec = getattr(env, "spec", None)
    gym_id, kwargs = getattr(spec, "id", None), getattr(spec, "kwargs", None) or {}
    if _gym is not None and gym_id in getattr(_gym, "registry", {}) and _jsonable(kwargs):
        return {"gymnasium": gym_id, "kwargs": kwargs}
    target = _importable(type(env))
    return {"factory": target, "args": [], "kwargs": {}} if target else None


def _rebuild(id, recipe, source):
    """Registers `id` again from its recipe (written by an earlier process)."""
    try:
        if "gymnasium" in recipe:
            if _gym is None:
                raise RatchetError("gymnasium is not installed")
            gym_id, kwargs = recipe["gymnasium"], recipe.get("kwargs", {})
            factory = functools.partial(_gym.make, gym_id, **kwargs)
        else:
            module, qualname = recipe["factory"].split(":", 1)
            obj = importlib.import_module(module)
            for part in qualname.split("."):
                obj = getattr(obj, part)
            factory = functools.partial(obj, *recipe.get("args", []), **recipe.get("kwargs", {}))
    except Exception as e:
        what = recipe.get("gymnasium") or recipe.get("factory")
        raise RatchetError(f"{source}: cannot make environment {id!r} again from {what!r} ({e}); register it "
                           f"first with ratchet.register({id!r}, ...)") from None
    with warnings.catch_warnings():  # a missing time limit was said when the run was trained
        warnings.simplefilter("ignore")
        register(id, factory, recipe.get("max_episode_steps"))
    _recipes[id] = recipe


def register(id, factory, max_episode_steps=None, reward_threshold=None):
    """Registers a Python environment: `factory` (a class or callable) makes one instance with
    Gymnasium's Env API. Afterwards `id` works everywhere a built-in id does (make, make_vec, the
    algorithms). Runs trained on it record how to make it again (the import path of a class or
    function, or a Gymnasium id and its arguments), so that ratchet.load finds it in a new process."""
    _ratchet.register_python_env(id, factory, -1 if max_episode_steps is None else int(max_episode_steps),
                                 reward_threshold)
    _registered[id] = factory
    recipe = _recipe(factory)
    if recipe is not None and max_episode_steps is not None:
        recipe["max_episode_steps"] = int(max_episode_steps)
    _recipes.setdefault(id, recipe)
    if max_episode_steps is None and not _ratchet.env_spec(id)["max_episode_steps"]:
        warnings.warn(f"environment {id!r} has no time limit: evaluation episodes are cut after "
                      f"{_ratchet.DEFAULT_EVAL_MAX_STEPS} steps; give register(..., max_episode_steps=N) or "
                      "evaluate(max_steps=N)", stacklevel=2)


def _write_env_recipe(env_id, run_dir):
    """python_env.json in run_dir: how a new process makes the Python environment env_id again
    (nothing for a built-in environment, or on MPI ranks other than 0)."""
    recipe = _recipes.get(env_id)
    if recipe is None or _ratchet.mpi_rank() != 0:
        return
    os.makedirs(run_dir, exist_ok=True)
    _ratchet.write_file(os.path.join(run_dir, "python_env.json"), json.dumps({"id": env_id, **recipe}, indent=1) + "\n")


@atexit.register
def _unregister_python_envs():
    # the registry holds Python objects: release them while the interpreter is still alive
    for id in list(_registered):
        _ratchet.unregister_env(id)
    _registered.clear()
    _ratchet.clear_live_envs()


def _env_id(env):
    """The registered id for env: an id string, or a Python env class / callable / instance."""
    if isinstance(env, str) and env.startswith(_GYM_NAMESPACE + "/") and env[len(_GYM_NAMESPACE) + 1:] in _ratchet.list_envs():
        return env[len(_GYM_NAMESPACE) + 1:]  # gymnasium's name of a Ratchet environment
    if isinstance(env, str):
        if env not in _ratchet.list_envs() and _gym is not None and env in getattr(_gym, "registry", {}):
            register(env, functools.partial(_gym.make, env))  # a Gymnasium id Ratchet does not build in
        return env
    inner = getattr(env, "unwrapped", None)
    if isinstance(inner, RatchetEnv) and getattr(getattr(env, "spec", None), "max_episode_steps", None) == \
            (_ratchet.env_spec(inner._id)["max_episode_steps"] or None):
        return inner._id  # a Ratchet environment, made by ratchet.make or gymnasium.make: the built-in itself
    for id, factory in _registered.items():
        if factory is env:
            return id
    if isinstance(env, type) or (callable(env) and not hasattr(env, "step")):
        factory = env
        # a class or function by its name; a lambda or functools.partial by what it makes
        target = getattr(env, "func", env)
        name = getattr(target, "__name__", type(target).__name__)
    else:
        instance = env
        factory = lambda: copy.deepcopy(instance)  # noqa: E731 - one copy per vector slot
        name = type(env).__name__
    name = re.sub(r"[^A-Za-z0-9_.]", "", name) or "PythonEnv"
    if name == "lambda":
        name = "PythonEnv"
    spec = getattr(env, "spec", None)
    base = getattr(spec, "id", None) or f"{name}-py"
    id, k = base, 2
    while id in _ratchet.list_envs():
        id, k = f"{base}-{k}", k + 1
    recipe = _recipe(env)  # of the class, function or instance given (not of the copying lambda)
    register(id, factory)
    _registered[id] = env
    _recipes[id] = recipe
    if id != base:
        _preset_ids[id] = base  # a copy of a known environment: its preset
    return id


#---------------------------------- Algorithms --------------------------------------------------

def _quoted(text):
    """A keyword argument's text as a value of env_kwargs' {key: value} map."""
    if text and not re.search(r'[,{}\[\]"\'#]', text) and text == text.strip() or re.fullmatch(r"\[[^\"'{}]*\]", text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, dict):  # env_kwargs
        return "{" + ", ".join(f"{k}: {_quoted(_kwarg_text('env_kwargs', k, x))}" for k, x in v.items()) + "}"
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


_POLICIES = ("MlpPolicy",)  # Stable-Baselines3's policy names that Ratchet's networks are


def _policy_sets(policy_kwargs):
    """Stable-Baselines3's policy_kwargs as Ratchet's keys."""
    sets = {}
    for k, v in (policy_kwargs or {}).items():
        if k == "net_arch":
            if isinstance(v, dict):
                pi, vf = list(v.get("pi", [])), list(v.get("vf", []))
                if set(v) - {"pi", "vf"} or pi != vf:
                    raise RatchetError(f"policy_kwargs net_arch={v!r}: Ratchet's policy and value networks share "
                                       "their hidden widths; give one list, or pi and vf equal")
                v = pi
            sets["net_arch"] = list(v)
        elif k == "activation_fn":
            name = v if isinstance(v, str) else getattr(v, "__name__", type(v).__name__)
            if name.lower() not in ("tanh", "relu"):
                raise RatchetError(f"policy_kwargs activation_fn={name}: Ratchet's networks use Tanh or ReLU")
            sets["activation"] = name.lower()
        elif k == "log_std_init":
            sets["log_std_init"] = float(v)
        elif k == "ortho_init":
            if not v:
                raise RatchetError("policy_kwargs ortho_init=False: Ratchet always initialises orthogonally")
        else:
            raise RatchetError(f"policy_kwargs {k!r} is not supported; Ratchet takes net_arch, activation_fn, "
                               "log_std_init and ortho_init")
    return sets


def _config_value(config_yaml, key):
    """The value of `key` in a resolved run configuration (config.yaml's text), or None."""
    for line in config_yaml.splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].split("#")[0].strip()
    return None


class _ProgressBar:
    """learn(progress_bar=True): tqdm's bar when tqdm is installed, else rich's when rich is, else
    none (available False: the trainer's own progress line is printed instead)."""

    def __init__(self, total, start, label):
        self.available, self._start, self._done, self._kind = False, start, 0, None
        try:
            import tqdm
            self._bar = tqdm.tqdm(total=total, unit="step", desc=label, dynamic_ncols=True)
            self._kind, self.available = "tqdm", True
            return
        except ImportError:
            pass
        try:
            import rich.console
            import rich.progress
            self._bar = rich.progress.Progress(*rich.progress.Progress.get_default_columns(),
                                               rich.progress.MofNCompleteColumn(),
                                               rich.progress.TextColumn("{task.fields[ret]}"),
                                               console=rich.console.Console(stderr=True))
            self._task = self._bar.add_task(label, total=total, ret="")
            self._bar.start()
            self._kind, self.available = "rich", True
        except ImportError:
            pass

    def update(self, stats):
        done = int(stats["steps"]) - self._start
        ret = stats.get("ep_return_mean")
        text = "" if ret is None or ret != ret else f"return {ret:.1f}"
        if self._kind == "tqdm":
            self._bar.update(done - self._done)
            if text:
                self._bar.set_postfix_str(text, refresh=False)
        else:
            self._bar.update(self._task, completed=done, ret=text)
        self._done = done

    def close(self):
        if self._kind == "tqdm":
            self._bar.close()
        elif self._kind == "rich":
            self._bar.stop()


class _Algorithm:
    """Trains one algorithm on one environment into a run directory (the CLI's format).

    A model is usable at any time: before learn() it predicts, evaluates, exports and saves its
    initial policy; after any stop (the budget, a callback returning False, Ctrl-C, an exception)
    it holds the newest checkpoint. learn(N) trains N more steps. stop_reason says why the last
    learn() stopped early (None when it trained its steps)."""

    algo = None
    stop_reason = None

    def __init__(self, policy_or_env="CartPole-v1", env=None, seed=1, run_dir=None, verbose=0, policy_kwargs=None,
                 **hyperparameters):
        # PPO("CartPole-v1", ...) or, as in Stable-Baselines3, PPO("MlpPolicy", env, ...)
        if isinstance(policy_or_env, str) and policy_or_env.endswith("Policy"):
            if policy_or_env not in _POLICIES:
                raise RatchetError(f"policy {policy_or_env!r}: Ratchet's networks are multilayer perceptrons "
                                   "('MlpPolicy')")
            if env is None:
                raise RatchetError(f"{type(self).__name__}({policy_or_env!r}, env): give the environment")
        elif env is not None:
            if isinstance(env, int) and not isinstance(env, bool):
                env, seed = None, env  # the older form PPO(env, seed)
            else:
                raise RatchetError(f"{type(self).__name__}(env, ...): a second environment argument is taken only "
                                   "after a policy name, as in PPO('MlpPolicy', env)")
            env = policy_or_env
        else:
            env = policy_or_env
        self.env_id = _env_id(env)
        self.seed = int(seed)
        self.verbose = verbose
        hyperparameters.update(_policy_sets(policy_kwargs))
        self._sets = [f"{k}={_text(v)}" for k, v in hyperparameters.items()]
        self._preset = ""
        # a Gymnasium CartPole-v1 instance (registered as CartPole-v1-2) trains with CartPole-v1's preset
        self._preset_env = _preset_ids.get(self.env_id, "")
        if self._preset_env and _ratchet.mpi_rank() == 0:
            print(f"ratchet: {self.algo} on {self.env_id}, a Python copy of {self._preset_env}: using the "
                  f"{self.algo} preset of {self._preset_env}", file=sys.stderr)
        # resolves preset <- keys now, so that an unknown key or a bad value fails here
        self.config = _ratchet.resolve_config(self.algo, self.env_id, self.seed, None, self._sets, self._preset_env)
        self._loaded_from = None
        if run_dir is not None:
            self.run_dir = os.fspath(run_dir)
            status = _ratchet.run_dir_status(self.run_dir)
            if status["has_checkpoint"] or status["has_model"]:
                raise RatchetError(f"run directory '{self.run_dir}' already holds a run; continue it with "
                                   f"ratchet.load('{self.run_dir}').learn(N), or choose another directory")
        else:
            self.run_dir = self._temporary_run_dir()
        self._model = None
        self.num_timesteps = 0
        self._count_from = 0  # the run's steps when num_timesteps was last reset

    def _temporary_run_dir(self):
        """A run directory of our own, removed with the model (unless save() copied it away)."""
        prefix = f"ratchet-{self.algo}-{self.env_id}-s{self.seed}-"
        if _ratchet.mpi_size() > 1:
            # one run directory for the job: rank 0's
            d = _ratchet._broadcast_text(tempfile.mkdtemp(prefix=prefix) if _ratchet.mpi_rank() == 0 else "")
        else:
            d = tempfile.mkdtemp(prefix=prefix)
        if _ratchet.mpi_rank() == 0:
            weakref.finalize(self, shutil.rmtree, d, True)
        return d

    def _rollout_steps(self):
        return int(_config_value(self.config, "n_steps")) * int(_config_value(self.config, "n_envs"))

    def learn(self, total_timesteps, callback=None, log_interval=None, tb_log_name=None, reset_num_timesteps=True,
              progress_bar=False):
        """Trains total_timesteps more environment steps (rounded down to whole rollouts, at least
        one), from wherever the model is: new, stopped, finished, or loaded (a loaded run is copied
        first: the saved one is never changed; save() writes the result). callback(stats) gets each
        update's progress row as a dict; returning False stops training. Ctrl-C writes a checkpoint
        and raises KeyboardInterrupt. The model is usable after any stop.
        reset_num_timesteps, as in Stable-Baselines3: True (the default) restarts the count
        (num_timesteps counts this call's steps) and the schedules (lin_X run from their initial
        value over these steps); False continues both, so that a stopped run continued with False
        gives the bits of one never stopped. progress.csv counts every step of the run either way.
        progress_bar: tqdm's bar
        (or rich's) when installed, else the trainer's progress line. log_interval and tb_log_name
        are accepted for Stable-Baselines3 compatibility (progress.csv and TensorBoard files are
        always written)."""
        if isinstance(total_timesteps, bool) or int(total_timesteps) != total_timesteps or total_timesteps <= 0:
            raise RatchetError(f"learn: total_timesteps must be a positive number of steps, got {total_timesteps!r}")
        if self._loaded_from is not None:
            # copy on write: learning never changes the run it was loaded from
            work = self._temporary_run_dir()
            shutil.copytree(self._loaded_from, work, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".lock"))
            self.run_dir, self._loaded_from = work, None
        per = self._rollout_steps()
        n = max(per, int(total_timesteps))  # the trainer rounds down to whole rollouts
        status = _ratchet.run_dir_status(self.run_dir)
        run_steps = self._run_steps()
        if reset_num_timesteps:
            self._count_from, self.num_timesteps = run_steps, 0
        progress = bool(progress_bar or self.verbose)
        bar = None
        if progress_bar and _ratchet.mpi_rank() == 0:
            start = run_steps if status["has_checkpoint"] else 0
            bar = _ProgressBar((start + n) // per * per - start, start, f"{self.algo} {self.env_id}")
            if bar.available:
                progress = bool(self.verbose)
                user_callback = callback

                def callback(stats):
                    bar.update(stats)
                    return True if user_callback is None else user_callback(stats)
        try:
            if not status["has_checkpoint"]:
                if status["has_model"]:
                    # a saved untrained model: training starts from the same initial networks
                    os.remove(os.path.join(self.run_dir, "model.bin"))
                self._write_env_recipe()
                result = _ratchet.train(self.algo, self.env_id, self.seed, n, self._sets, self.run_dir, callback,
                                        progress, self._preset, self._preset_env)
            else:
                result = _ratchet.resume(self.run_dir, run_steps + n, callback, progress, bool(reset_num_timesteps))
            self.stop_reason = result.stop_reason if result.stopped else None
            if self.stop_reason is not None and self.verbose and _ratchet.mpi_rank() == 0:
                print(f"stopped after {result.steps} steps: {self.stop_reason}")
        finally:
            if bar is not None:
                bar.close()
            self._refresh()
        return self

    def _write_env_recipe(self, run_dir=None):
        _write_env_recipe(self.env_id, run_dir or self.run_dir)

    def _refresh(self):
        """The model after training stopped, however it stopped: the run's model or its newest
        checkpoint."""
        status = _ratchet.run_dir_status(self.run_dir)
        if status["has_checkpoint"] or status["has_model"]:
            self._model = _ratchet.Model(self.run_dir)
            self.num_timesteps = self._model.steps - self._count_from
            with open(os.path.join(self.run_dir, "config.yaml")) as f:
                self.config = f.read()

    def _run_steps(self):
        """Every step the run has trained (num_timesteps counts from _count_from)."""
        return self.num_timesteps + self._count_from

    def _current(self):
        if self._model is None:
            self._model = _ratchet.Model.initial(self.config)
        return self._model

    def predict(self, observation, state=None, episode_start=None, deterministic=True):
        """The action for one observation (obs_dim,), or actions for a batch (n, obs_dim), as
        evaluation takes them (normalised with the frozen statistics, clipped to the action
        bounds). Anything else, or a NaN or infinite value, raises RatchetError. Before learn(),
        the initial policy acts. Returns (action, None) as Stable-Baselines3 does."""
        a = self._current().predict(np.asarray(observation, dtype=np.float32), deterministic)
        if isinstance(self.action_space, spaces.Discrete):
            a = a[..., 0].astype(np.int64)
            if a.ndim == 0:
                a = int(a)
        return a, None

    def evaluate(self, episodes=10, seed=1_000_000_000, deterministic=True, max_steps=None):
        """Mean and std of the return over `episodes` episodes (episode k reset with seed + k).
        An episode ends at the environment's time limit; without one, after max_steps steps
        (default 10,000), with a warning. Ctrl-C ends the evaluation with KeyboardInterrupt."""
        if max_steps is not None and (isinstance(max_steps, bool) or int(max_steps) != max_steps or max_steps <= 0):
            raise RatchetError(f"evaluate: max_steps must be a positive number of steps, got {max_steps!r}")
        r = self._current().evaluate(int(episodes), int(seed), bool(deterministic), int(max_steps or 0))
        if r.cut:
            warnings.warn(f"{r.cut} of {episodes} evaluation episodes of {self.env_id} were cut at "
                          f"{max_steps or _ratchet.DEFAULT_EVAL_MAX_STEPS} steps: the environment has no time limit "
                          "(give evaluate(max_steps=...) or register it with max_episode_steps)", stacklevel=2)
        return r.mean, r.std

    def save(self, path):
        """Writes the model: a run directory at `path` (which must not exist or be empty), or one
        file when `path` ends in .zip (the run directory inside). ratchet.load reads either."""
        path = os.fspath(path)
        if os.path.abspath(path) == os.path.abspath(self._source_dir()):
            return
        is_zip = path.endswith(".zip")
        if os.path.exists(path) and (is_zip or os.listdir(path)):
            raise RatchetError(f"'{path}' already exists{'' if is_zip else ' and is not empty'}; nothing was "
                               "overwritten")
        with tempfile.TemporaryDirectory(prefix="ratchet-save-") as staging:
            run = self._source_dir()
            status = _ratchet.run_dir_status(run)
            if not (status["has_checkpoint"] or status["has_model"]):
                # not trained yet: the configuration, the initial networks, how to make the env
                run = os.path.join(staging, "run")
                os.makedirs(run)
                self._current().save_initial(run)
                self._write_env_recipe(run)
            if is_zip:
                base = os.path.join(staging, "archive")
                shutil.make_archive(base, "zip", run)
                with open(base + ".zip", "rb") as f:
                    _ratchet.write_file(path, f.read())  # temporary file, fsync, rename
                return
            # a whole directory or nothing: copied beside the target, then renamed into place
            parent = os.path.dirname(os.path.abspath(path))
            os.makedirs(parent, exist_ok=True)
            partial = tempfile.mkdtemp(prefix=".ratchet-save-", dir=parent)
            try:
                shutil.copytree(run, partial, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".lock"))
                if os.path.isdir(path):
                    os.rmdir(path)  # empty (checked above)
                os.rename(partial, path)
            except BaseException:
                shutil.rmtree(partial, True)
                raise

    def _source_dir(self):
        return self._loaded_from if self._loaded_from is not None else self.run_dir

    def record(self, path, episodes=1, seed=1_000_000_000, width=320, height=240, max_frames=500):
        """Renders `episodes` deterministic episodes (episode k reset with seed + k) into one
        animated GIF, as `ratchet eval --gif` does: about real time, at most max_frames frames per
        episode (a time-limited episode is thinned to fit). For built-in environments and Python
        ones whose render() returns an RGB array of (height, width, 3). Returns the episodes'
        returns."""
        path = os.fspath(path)
        if not path.lower().endswith(".gif"):
            raise RatchetError(f"record writes a GIF: give a path ending in .gif, got {path!r}")
        for name, v, lo in (("episodes", episodes, 1), ("width", width, 16), ("height", height, 16),
                            ("max_frames", max_frames, 2)):
            if isinstance(v, bool) or int(v) != v or v < lo:
                raise RatchetError(f"record: {name} must be a whole number of at least {lo}, got {v!r}")
        r = self._current().record(path, int(episodes), int(seed), int(width), int(height), int(max_frames))
        return list(r["returns"])

    def export(self, path, format=None):
        """Writes the policy for deployment: format "rpol" (ratchet.DeployedPolicy, or C++
        ratchet::DeployedPolicy; exact to the bit), "onnx" (one ONNX graph, opset 13, from raw
        observation to action with the normaliser inside, plus the distribution and the value as
        further outputs) or "c" (path.h and path.c: C99, no allocation, no dependency beyond
        math.h, functions <stem>_act and <stem>_act_batch; bit for bit DeployedPolicy's when
        compiled with -ffp-contract=off at this build's ISA level). Default: from the path's
        extension (.onnx; .c or .h), else rpol."""
        path = os.fspath(path)
        if format is None:
            ext = os.path.splitext(path)[1].lower()
            format = "onnx" if ext == ".onnx" else "c" if ext in (".c", ".h") else "rpol"
        if format == "onnx":
            self._current().export_onnx(path)
        elif format == "rpol":
            self._current().export(path)
        elif format == "c":
            self._current().export_c(path, self.env_id)
        else:
            raise RatchetError(f"format must be 'rpol', 'onnx' or 'c', got {format!r}")

    @property
    def observation_space(self):
        return spaces.from_spec(_ratchet.env_spec(self.env_id)["observation_space"])

    @property
    def action_space(self):
        return spaces.from_spec(_ratchet.env_spec(self.env_id)["action_space"])


def _algorithm(name, cls_name, doc):
    # the keyword arguments as the settings declare them (the same text as `ratchet config --reference`)
    lines = [doc, "", "Keyword arguments (defaults before the environment's preset; docs/SETTINGS.md):", ""]
    for s in _ratchet.settings(name):
        if s["key"] != "seed":
            changes = f" [{s['changes']}]" if s["changes"] else ""
            lines.append(f"    {s['key']} = {s['default']}: {s['doc']}{changes}")
    return type(cls_name, (_Algorithm,), {"algo": name, "__doc__": "\n".join(lines)})


VPG = _algorithm("vpg", "VPG", "REINFORCE / vanilla policy gradient (rewards-to-go, optional baseline).")
A2C = _algorithm("a2c", "A2C", "Advantage actor-critic with GAE.")
NPG = _algorithm("npg", "NPG", "Natural policy gradient (conjugate gradient on Fisher-vector products).")
TRPO = _algorithm("trpo", "TRPO", "Trust region policy optimisation (NPG plus a line search).")
PPO = _algorithm("ppo", "PPO", "PPO with the clipped surrogate.")
PPOKL = _algorithm("ppo-kl", "PPOKL", "PPO with the adaptive KL penalty.")
ACKTR = _algorithm("acktr", "ACKTR", "Actor-critic with Kronecker-factored trust region (K-FAC).")
_CLASSES = {c.algo: c for c in (VPG, A2C, NPG, TRPO, PPO, PPOKL, ACKTR)}


def read_runs(*paths):
    """Every run under the paths (run directories, or directories searched for them), as `ratchet
    table` reads and groups them: one dict per run with its label (runs of one algorithm with
    different settings get those in their label), algo, env, seed, steps, finished, final_return
    (the deterministic evaluation at the end, else the last training return), eval_return,
    stochastic_eval_return, last_train_return, best_eval_return (None where a run has none),
    wall_seconds, settings and dir."""
    if not paths:
        raise RatchetError("read_runs: give at least one path")
    return list(_ratchet.read_runs([os.fspath(p) for p in paths]))


def _cli_args(name, value):
    """--name value pairs for the command line; lists become comma lists, None is left out."""
    if value is None:
        return []
    if isinstance(value, (list, tuple, range)):
        value = ",".join(str(v) for v in value)
    return [f"--{name}", str(value)]


def _env_ids(envs):
    """Environment ids for the command line: ids as they are, Python environments registered."""
    return [_env_id(e) for e in (envs if isinstance(envs, (list, tuple)) else [envs])]


def _run_command(what, args):
    """`ratchet <args>` in this process (Python environments registered, as the package's command
    does); Ctrl-C stops it the CLI's way (every run checkpoints) and raises KeyboardInterrupt."""
    from . import _cli
    code = _cli.run_in_process(args)
    if code in (130, 143):
        raise KeyboardInterrupt(f"{what} stopped; every run was checkpointed (run it again to resume)")
    if code != 0:
        raise RatchetError(f"{what} failed with exit code {code} (its output above says why)")


def sweep(algos, envs, seeds="0-4", steps=None, out="runs", jobs=None, preset=None, **settings):
    """Trains every run of the grid algos x envs x seeds into out/<label>-<env>-s<seed>, as `ratchet
    sweep` does (one process per run, `jobs` at a time; a second call skips finished runs and
    resumes interrupted ones; a directory holding another configuration is left alone), and
    returns read_runs(out). algos and envs are names or lists of them (envs may be Gymnasium ids,
    registered or Python environments, or "module:callable"); seeds "0-4", "1,3" or a list;
    settings are --set overrides for every run (learning_rate=1e-3)."""
    args = ["sweep"] + _cli_args("algo", algos) + _cli_args("env", _env_ids(envs)) + _cli_args("seeds", seeds)
    args += _cli_args("steps", steps) + _cli_args("out", os.fspath(out)) + _cli_args("jobs", jobs)
    args += _cli_args("config", preset)
    for key, value in settings.items():
        args += ["--set", f"{key}={_text(value)}"]
    _run_command("sweep", args)
    return read_runs(out)


def tune(algo, env, trials, steps, out, seeds="0-2", jobs=None, space=None, sampler="tpe", seed=0, preset=None,
         **settings):
    """Searches algo's hyperparameters on env as `ratchet tune` does (TPE or random proposals from
    the search space, configs/tune/<algo>.yaml unless `space` names a file; each trial trains on
    every tuning seed for `steps` steps, scored by the mean periodic evaluation, pruned below the
    median; a second call with the same arguments resumes the session in `out`). settings are
    fixed overrides for every trial. Returns {"best": the best trial's preset entry (best.yaml's
    text), "trials": trials.csv as a list of dicts, "out": out}."""
    import csv
    args = ["tune"] + _cli_args("algo", algo) + _cli_args("env", _env_ids(env)[0]) + _cli_args("trials", trials)
    args += _cli_args("steps", steps) + _cli_args("out", os.fspath(out)) + _cli_args("seeds", seeds)
    args += _cli_args("jobs", jobs) + _cli_args("space", space) + _cli_args("sampler", sampler)
    args += _cli_args("seed", seed) + _cli_args("config", preset)
    for key, value in settings.items():
        args += ["--set", f"{key}={_text(value)}"]
    _run_command("tune", args)
    out = os.fspath(out)
    best = None
    if os.path.isfile(os.path.join(out, "best.yaml")):
        with open(os.path.join(out, "best.yaml")) as f:
            best = f.read()
    rows = []
    if os.path.isfile(os.path.join(out, "trials.csv")):
        with open(os.path.join(out, "trials.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
    return {"best": best, "trials": rows, "out": out}


def load(path):
    """A model from a run directory (written by Python or by `ratchet train`, finished or not) or
    from a .zip written by save(). learn() on it trains a copy: the saved run is never changed."""
    path = os.fspath(path)
    if path.endswith(".zip") and os.path.isfile(path):
        unpacked = tempfile.mkdtemp(prefix="ratchet-load-")
        try:
            shutil.unpack_archive(path, unpacked, "zip")
        except Exception as e:
            shutil.rmtree(unpacked, True)
            raise RatchetError(f"cannot read '{path}' as a saved model: {e}") from None
        holder = _load_dir(unpacked)
        weakref.finalize(holder, shutil.rmtree, unpacked, True)
        return holder
    return _load_dir(path)


def _load_dir(path):
    try:
        with open(os.path.join(path, "config.yaml")) as f:
            config = f.read()
    except OSError:
        config = ""  # _ratchet.Model says what is missing
    env_id = _config_value(config, "env")
    recipe_path = os.path.join(path, "python_env.json")
    if env_id is not None and env_id not in _ratchet.list_envs() and os.path.isfile(recipe_path):
        with open(recipe_path) as f:
            recipe = json.load(f)
        _rebuild(env_id, recipe, recipe_path)
    model = _ratchet.Model(path)
    obj = _CLASSES[model.algo].__new__(_CLASSES[model.algo])
    obj.config = config
    obj.env_id, obj.run_dir, obj._loaded_from, obj._model, obj.verbose = model.env, path, path, model, 0
    obj.seed, obj._sets, obj._preset = int(_config_value(config, "seed") or 1), [], os.path.join(path, "config.yaml")
    obj._preset_env = ""
    obj.num_timesteps, obj._count_from = model.steps, 0
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


_register_with_gymnasium()
