// The `ratchet._ratchet` extension: a thin layer over the C++ library. The Python package
// (python/ratchet/__init__.py) builds the Gymnasium-style API on top of it.
#include <signal.h>

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <filesystem>
#include <iostream>

#include "cli.h"  // apps/ratchet: the command line, ratchet::cli::Main
#include "py_env.h"
#include "ratchet/experiment.h"
#include "ratchet/ratchet.h"

namespace py = pybind11;
using namespace ratchet;

namespace {

template <typename T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

py::dict SpaceDict(const Space& s) {
  py::dict d;
  d["discrete"] = s.is_discrete();
  d["n"] = s.n;
  d["low"] = py::array_t<float>(static_cast<py::ssize_t>(s.low.size()), s.low.data());
  d["high"] = py::array_t<float>(static_cast<py::ssize_t>(s.high.size()), s.high.data());
  return d;
}

py::dict SpecDict(const EnvSpec& s) {
  py::dict d;
  d["id"] = s.id;
  d["observation_space"] = SpaceDict(s.observation_space);
  d["action_space"] = SpaceDict(s.action_space);
  d["max_episode_steps"] = s.max_episode_steps;
  d["reward_threshold"] = s.reward_threshold ? py::cast(*s.reward_threshold) : py::none();
  d["dt"] = s.dt;
  return d;
}

// Scalars as floats, vectors as float64 arrays, in the order the environment set them.
py::dict InfoDict(const StepInfo& si) {
  py::dict info;
  for (const auto& [k, v] : si.items) info[py::str(k)] = v;
  for (const auto& [k, v] : si.arrays) info[py::str(k)] = py::array_t<double>(static_cast<py::ssize_t>(v.size()), v.data());
  return info;
}

// One environment (with its TimeLimit), stepped from Python.
class PyEnvHandle {
 public:
  PyEnvHandle(const std::string& id, int max_episode_steps, const EnvKwargs& kwargs)
      : env_(MakeEnv(id, max_episode_steps, kwargs)) {
    const EnvSpec& s = env_->spec();
    obs_.assign(s.observation_space.flat_dim(), 0.0f);
    act_.assign(s.action_space.flat_dim(), 0.0f);
  }
  py::dict spec() const { return SpecDict(env_->spec()); }
  // (observation, reset info)
  py::tuple reset(std::optional<uint64_t> seed, const EnvKwargs& options) {
    env_->SetResetOptions(options);
    if (seed) {
      env_->Reset(*seed, obs_);
    } else {
      env_->Reset(obs_);
    }
    return py::make_tuple(py::array_t<float>(static_cast<py::ssize_t>(obs_.size()), obs_.data()), InfoDict(env_->info()));
  }
  py::tuple step(const CArray<float>& action) {
    if (static_cast<size_t>(action.size()) != act_.size())
      throw Error(env_->spec().id + ": step() got an action of " + std::to_string(action.size()) +
                  " values, expected " + std::to_string(act_.size()));
    std::copy(action.data(), action.data() + action.size(), act_.begin());
    const StepResult r = env_->Step(act_, obs_);
    py::dict info = InfoDict(env_->info());
    return py::make_tuple(py::array_t<float>(static_cast<py::ssize_t>(obs_.size()), obs_.data()), r.reward,
                          r.terminated, r.truncated, info);
  }
  // (qpos, qvel) of a MuJoCo task, None for any other environment
  py::object mujoco_state() {
    const auto st = MujocoState(*env_);
    if (!st) return py::none();
    return py::make_tuple(py::array_t<double>(static_cast<py::ssize_t>(st->qpos.size()), st->qpos.data()),
                          py::array_t<double>(static_cast<py::ssize_t>(st->qvel.size()), st->qvel.data()));
  }
  py::bytes save_state() const {
    const std::vector<uint8_t> b = env_->SaveState();
    return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
  }
  py::array_t<uint8_t> render(int width, int height) {
    std::vector<uint8_t> rgb;
    env_->Render(width, height, &rgb);
    return py::array_t<uint8_t>({height, width, 3}, rgb.data());
  }

 private:
  std::unique_ptr<Env> env_;
  std::vector<float> obs_, act_;
};

// N copies stepped in C++ with the GIL released; the NumPy arrays it returns are views of its
// own buffers, written in place by every step.
class PyVectorEnv {
 public:
  PyVectorEnv(const std::string& id, int num_envs, int threads, int max_episode_steps, const EnvKwargs& kwargs)
      : pool_(std::max(1, threads)), venv_(id, num_envs, &pool_, nullptr, max_episode_steps, kwargs) {
    const int n = venv_.num_envs();
    obs_.assign(static_cast<size_t>(n) * venv_.obs_dim(), 0.0f);
    final_obs_.assign(obs_.size(), 0.0f);
    rewards_.assign(n, 0.0f);
    term_.assign(n, 0);
    trunc_.assign(n, 0);
  }
  py::dict spec() const { return SpecDict(venv_.spec()); }
  int num_envs() const { return venv_.num_envs(); }
  py::array_t<float> obs(py::object self) { return View(obs_, {num_envs(), venv_.obs_dim()}, self); }
  py::array_t<float> final_obs(py::object self) { return View(final_obs_, {num_envs(), venv_.obs_dim()}, self); }
  py::array_t<float> rewards(py::object self) { return View(rewards_, {num_envs()}, self); }
  py::array_t<double> rewards64(py::object self) {
    const std::span<const double> r = venv_.rewards64();
    return py::array_t<double>({num_envs()}, {sizeof(double)}, r.data(), self);
  }
  py::array_t<bool> terminated(py::object self) {
    return py::array_t<bool>({num_envs()}, {1}, reinterpret_cast<bool*>(term_.data()), self);
  }
  py::array_t<bool> truncated(py::object self) {
    return py::array_t<bool>({num_envs()}, {1}, reinterpret_cast<bool*>(trunc_.data()), self);
  }
  void reset(uint64_t seed, const EnvKwargs& options) {
    venv_.SetResetOptions(options);
    py::gil_scoped_release nogil;
    venv_.Reset(seed, obs_);
  }
  // new episodes in every copy, each generator going on (no reseeding)
  void reset_all(const EnvKwargs& options) {
    venv_.SetResetOptions(options);
    py::gil_scoped_release nogil;
    venv_.ResetAll(obs_);
  }
  // skip: None, or one bool per copy (copies not stepped: Gymnasium's next-step autoreset)
  void step(const CArray<float>& actions, std::optional<py::array_t<bool, py::array::c_style | py::array::forcecast>> skip) {
    const size_t want = static_cast<size_t>(num_envs()) * venv_.act_dim();
    skip_.clear();
    if (skip) {
      if (skip->size() != num_envs())
        throw Error(venv_.spec().id + ": step() got a skip mask of " + std::to_string(skip->size()) +
                    " values, expected " + std::to_string(num_envs()));
      skip_.assign(skip->data(), skip->data() + skip->size());
    }
    if (static_cast<size_t>(actions.size()) != want)
      throw Error(venv_.spec().id + ": step() got " + std::to_string(actions.size()) + " action values, expected " +
                  std::to_string(want) + " (num_envs x action size)");
    act_.assign(actions.data(), actions.data() + actions.size());
    {
      py::gil_scoped_release nogil;
      venv_.Step(act_, obs_, rewards_, term_, trunc_, skip_);
    }
    for (int i = 0; i < num_envs(); ++i)
      if (term_[i] || trunc_[i]) {
        const auto f = venv_.final_obs(i);
        std::copy(f.begin(), f.end(), final_obs_.begin() + static_cast<ptrdiff_t>(i) * venv_.obs_dim());
      }
  }

 private:
  template <typename T>
  static py::array_t<T> View(std::vector<T>& v, std::vector<py::ssize_t> shape, py::object self) {
    return py::array_t<T>(shape, v.data(), self);
  }
  ThreadPool pool_;
  VectorEnv venv_;
  std::vector<float> obs_, final_obs_, rewards_, act_;
  std::vector<uint8_t> term_, trunc_, skip_;
};

// Checks that obs is one observation (obs_dim,) or a batch (n, obs_dim) of finite values, as
// Stable-Baselines3 checks them; returns the batch size (0 for one observation). `what` names the
// caller in messages.
py::ssize_t CheckObservations(const CArray<float>& obs, int od, const char* what) {
  const bool one = obs.ndim() == 1 && obs.shape(0) == od;
  const bool batch = obs.ndim() == 2 && obs.shape(1) == od && obs.shape(0) > 0;
  if (!one && !batch)
    throw Error(fmt::format("{}: expected an observation of shape ({},) or a batch of shape (n, {}), got an array of "
                            "shape {}", what, od, od, python::ShapeText(obs)));
  const float* p = obs.data();
  for (py::ssize_t k = 0; k < obs.size(); ++k)
    if (!std::isfinite(p[k])) {
      const std::string where = one ? fmt::format("index {}", k) : fmt::format("[{}, {}]", k / od, k % od);
      throw Error(fmt::format("{}: the observation holds {} at {}", what, p[k], where));
    }
  return one ? 0 : obs.shape(0);
}

// A model: read from a run directory (trained, or its newest checkpoint) or the initial one of a
// configuration; predict, evaluate, export.
class PyModel {
 public:
  explicit PyModel(const std::filesystem::path& dir) : m_(LoadTrainedModel(dir)) {}
  explicit PyModel(TrainedModel m) : m_(std::move(m)) {}
  std::string algo() const { return m_.cfg.train.algo; }
  std::string env() const { return m_.cfg.train.env; }
  int64_t steps() const { return m_.steps; }
  std::string source() const { return m_.source; }
  py::dict spec() const { return SpecDict(m_.spec); }
  // obs: (obs_dim) or (B, obs_dim); returns actions (act_dim) or (B, act_dim)
  py::array_t<float> predict(const CArray<float>& obs, bool deterministic, uint64_t seed) {
    const int od = m_.policy->obs_dim(), ad = m_.policy->act_dim();
    const py::ssize_t n = CheckObservations(obs, od, "predict");
    const py::ssize_t batch = std::max<py::ssize_t>(n, 1);
    Actor actor(*m_.policy, &m_.norm, m_.spec.action_space);
    Rng rng(seed, 3);
    py::array_t<float> out(n == 0 ? std::vector<py::ssize_t>{ad} : std::vector<py::ssize_t>{batch, ad});
    for (py::ssize_t b = 0; b < batch; ++b) {
      const auto a = actor.Act(std::span<const float>(obs.data() + b * od, od), deterministic, rng);
      std::copy(a.begin(), a.end(), out.mutable_data() + b * ad);
    }
    return out;
  }
  // Ctrl-C ends it (KeyboardInterrupt); an episode of an env without a time limit is cut at
  // max_steps (0: kDefaultEvalMaxSteps).
  EvalResult evaluate(int episodes, uint64_t seed, bool deterministic, int max_steps) {
    std::optional<py::error_already_set> interrupt;
    EvalLimits limits;
    limits.max_steps = max_steps;
    limits.env_kwargs = m_.cfg.train.kwargs();
    limits.stop = [&] {
      py::gil_scoped_acquire gil;
      if (PyErr_CheckSignals() == 0) return false;
      interrupt.emplace();
      return true;
    };
    EvalResult r;
    {
      py::gil_scoped_release nogil;
      r = Evaluate(*m_.policy, m_.cfg.train.env, episodes, seed, deterministic, &m_.norm, limits);
    }
    if (interrupt) throw std::move(*interrupt);
    return r;
  }
  void export_policy(const std::filesystem::path& path) { ExportPolicy(m_, path); }
  void export_onnx(const std::filesystem::path& path) { ExportOnnx(m_, path); }
  void export_c(const std::filesystem::path& path, const std::string& origin) { ExportC(m_, path, origin); }
  // The GIF `ratchet eval --gif` writes: deterministic episodes (episode k reset with seed + k).
  py::dict record(const std::filesystem::path& path, int episodes, uint64_t seed, int width, int height,
                  int max_frames) {
    GifResult g;
    {
      py::gil_scoped_release nogil;
      g = RecordGif(*m_.policy, m_.cfg.train.env, &m_.norm, seed, path, width, height, max_frames, episodes,
                    m_.cfg.train.kwargs());
    }
    py::dict d;
    d["returns"] = g.returns;
    d["frames"] = g.frames;
    d["every"] = g.every;
    return d;
  }
  // An untrained model saved as a run directory: its configuration and initial networks.
  void save_initial(const std::filesystem::path& dir) { SaveTrainedModel(m_, dir); }

 private:
  TrainedModel m_;
};

// Runs Train or Resume with the GIL released; the callback (if any) gets the GIL, a dict of the
// update's row, and may stop training; Ctrl-C stops with a checkpoint and raises KeyboardInterrupt.
TrainResult RunTraining(bool resume, const std::filesystem::path& dir, RunConfig* cfg, std::optional<int64_t> steps,
                        py::object callback, bool progress, bool restart_schedules = false) {
  TrainOptions opt;
  opt.restart_schedules = restart_schedules;
  if (progress) opt.progress = &std::cerr;
  std::optional<py::error_already_set> callback_error;
  // Ctrl-C during a periodic evaluation: stop with a checkpoint, then KeyboardInterrupt
  opt.poll_stop = [&]() -> bool {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() == 0) return false;
    callback_error.emplace();
    return true;
  };
  opt.on_warning = [](const std::string& message) {
    py::gil_scoped_acquire gil;
    // a warning turned into an error by the user's filters surfaces as that error
    if (PyErr_WarnEx(PyExc_UserWarning, message.c_str(), 1) != 0) throw py::error_already_set();
  };
  opt.on_update = [&](std::span<const double> row) -> bool {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      // KeyboardInterrupt (or another signal handler's exception): stop with a checkpoint
      callback_error.emplace();
      return false;
    }
    if (callback.is_none()) return true;
    py::dict d;
    for (size_t c = 0; c < row.size(); ++c) d[py::str(ProgressColumns()[c])] = row[c];
    try {
      const py::object r = callback(d);
      return r.is_none() || r.cast<bool>();
    } catch (py::error_already_set& e) {
      callback_error.emplace(std::move(e));
      return false;
    }
  };
  TrainResult res;
  {
    py::gil_scoped_release nogil;
    res = resume ? Resume(dir, opt, steps) : Train(*cfg, dir, opt);
  }
  if (callback_error) throw std::move(*callback_error);
  return res;
}

}  // namespace

PYBIND11_MODULE(_ratchet, m) {
  m.doc() = "Ratchet: policy-gradient reinforcement learning in C++ (the compiled core).";
  py::register_exception<Error>(m, "RatchetError", PyExc_ValueError);

  m.def("list_envs", &ListEnvs);
  m.def("mujoco_version", &MujocoVersion);
  m.def("env_spec", [](const std::string& id, const EnvKwargs& kwargs) { return SpecDict(EnvSpecOf(id, kwargs)); },
        py::arg("id"), py::arg("kwargs") = EnvKwargs{});
  m.def("load_plugin", &LoadPlugin);
  m.def("register_python_env",
        [](const std::string& id, py::object factory, int max_episode_steps, std::optional<double> reward_threshold) {
          EnvOptions o;
          o.max_episode_steps = max_episode_steps;
          o.reward_threshold = reward_threshold;
          o.description = "Python environment";
          RegisterEnv(id, [factory, id] { return python::MakePythonEnv(factory, id); }, o);
        },
        py::arg("id"), py::arg("factory"), py::arg("max_episode_steps") = -1, py::arg("reward_threshold") = py::none());
  m.def("unregister_env", &UnregisterEnv);
  m.def("clear_live_envs", &python::ClearLiveEnvs);
  m.def("algorithms", [] {
    std::vector<std::string> names;
    for (const AlgoEntry& a : Algorithms()) names.push_back(a.name);
    return names;
  });
  m.def("progress_columns", &ProgressColumns);
  // the runs under some paths as `ratchet table` reads and groups them
  m.def("read_runs", [](const std::vector<std::string>& paths) {
    py::list out;
    for (const RunRecord& r : ReadRuns(paths)) {
      py::dict d;
      auto opt = [](std::optional<double> v) -> py::object { return v ? py::object(py::float_(*v)) : py::object(py::none()); };
      auto num = [](double v) -> py::object { return std::isnan(v) ? py::object(py::none()) : py::object(py::float_(v)); };
      d["dir"] = r.dir.string();
      d["label"] = r.label;
      d["algo"] = r.algo;
      d["env"] = r.env;
      d["seed"] = r.seed;
      d["steps"] = r.last_steps;
      d["target_steps"] = r.target_steps;
      d["finished"] = r.finished;
      d["final_return"] = num(r.FinalReturn());
      d["eval_return"] = opt(r.eval_mean);
      d["stochastic_eval_return"] = opt(r.eval_stochastic_mean);
      d["last_train_return"] = num(r.LastTrainReturn());
      d["best_eval_return"] = num(r.BestEval());
      d["wall_seconds"] = r.wall_seconds;
      py::dict settings;
      for (const auto& [k, v] : r.settings) settings[py::str(k)] = v;
      d["settings"] = settings;
      out.append(d);
    }
    return out;
  });
  // every setting of an algorithm's runs, as declared (key, built-in default, doc, what it changes)
  m.def("settings", [](const std::string& algo) {
    py::list out;
    for (const SettingInfo& s : Settings(algo)) {
      py::dict d;
      d["key"] = s.key;
      d["default"] = s.default_value;
      d["doc"] = s.doc;
      d["algorithm_specific"] = s.algorithm_specific;
      d["changes"] = SettingTraitsName(s.traits);
      out.append(d);
    }
    return out;
  });
  m.attr("DEFAULT_EVAL_MAX_STEPS") = kDefaultEvalMaxSteps;
  // The command line, in this process (where Python environments are registered); args[0] is the
  // program name. Returns the exit code.
  m.def("cli_main", [](const std::vector<std::string>& args, const std::vector<std::string>& self_command,
                       py::object on_new_run) {
    SetRunCommand(self_command);  // how sweep and tune start their runs
    if (!on_new_run.is_none())
      cli::SetNewRunHook([&on_new_run](const std::filesystem::path& dir, const std::string& env) {
        py::gil_scoped_acquire gil;
        on_new_run(dir.string(), env);
      });
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    struct Reset {  // the hook refers to on_new_run, which ends here; train, resume, sweep and tune
                    // install SIGINT/SIGTERM handlers of their own, and Python's come back after
      struct sigaction old_int {}, old_term {};
      Reset() {
        sigaction(SIGINT, nullptr, &old_int);
        sigaction(SIGTERM, nullptr, &old_term);
      }
      ~Reset() {
        cli::SetNewRunHook(nullptr);
        SetRunCommand({});
        sigaction(SIGINT, &old_int, nullptr);
        sigaction(SIGTERM, &old_term, nullptr);
      }
    } reset;
    py::gil_scoped_release nogil;  // a Python environment takes it per call
    return cli::Main(static_cast<int>(copy.size()), argv.data());
  }, py::arg("args"), py::arg("self_command") = std::vector<std::string>(), py::arg("on_new_run") = py::none());
  // every file Ratchet writes goes through one helper (temporary file, fsync, rename)
  m.def("write_file", [](const std::filesystem::path& path, const py::bytes& data) {
    WriteFileAtomically(path, std::string_view(data), "file");
  });
  m.def("write_file", [](const std::filesystem::path& path, const std::string& text) {
    WriteFileAtomically(path, text, "file");
  });
  // reproducibility (ratchet.doctor)
  m.def("build_report", &BuildReport, py::arg("machine"));
  m.def("golden_build_mismatch", &GoldenBuildMismatch);
  m.def("golden_bits", [] {
    std::vector<std::tuple<std::string, std::string, int, std::string>> out;
    for (const GoldenEntry& g : GoldenBits()) out.emplace_back(g.run.algo, g.run.env, g.run.updates, g.digest.ToString());
    return out;
  });
  m.def("run_golden",
        [](const std::string& algo, const std::string& env, int updates, const std::filesystem::path& dir, int threads) {
          py::gil_scoped_release release;
          return RunGolden({algo, env, updates}, dir, threads).ToString();
        },
        py::arg("algo"), py::arg("env"), py::arg("updates"), py::arg("dir"), py::arg("threads") = 1);
  // MPI (started by mpirun): the job is World(), initialised on first use
  m.def("mpi_rank", [] { return World().rank(); });
  m.def("mpi_size", [] { return World().size(); });
  m.def("built_with_mpi", &BuiltWithMpi);
  m.def("_broadcast_text", [](const std::string& text) {
    const auto bytes = Broadcast(World(), std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()),
                                                                   text.size()));
    return std::string(bytes.begin(), bytes.end());
  });
  // For bench/python_bench.py: seconds to step a VectorEnv through `actions` (steps, N x act_dim)
  // in a C++ loop, the baseline of make_vec's per-step overhead.
  m.def("_time_vector_env", [](const std::string& id, int n, int threads, const CArray<float>& actions) {
    ThreadPool pool(threads);
    VectorEnv venv(id, n, &pool);
    std::vector<float> obs(static_cast<size_t>(n) * venv.obs_dim()), rew(n);
    std::vector<uint8_t> term(n), trunc(n);
    const size_t per = static_cast<size_t>(n) * venv.act_dim();
    if (actions.ndim() != 2 || static_cast<size_t>(actions.shape(1)) != per)
      throw Error("_time_vector_env: actions must be (steps, num_envs * action size)");
    venv.Reset(1, obs);
    py::gil_scoped_release nogil;
    const auto t0 = std::chrono::steady_clock::now();
    for (py::ssize_t k = 0; k < actions.shape(0); ++k)
      venv.Step(std::span<const float>(actions.data() + k * per, per), obs, rew, term, trunc);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  });

  py::class_<PyEnvHandle>(m, "Env")
      .def(py::init<const std::string&, int, const EnvKwargs&>(), py::arg("id"), py::arg("max_episode_steps") = -1,
           py::arg("kwargs") = EnvKwargs{})
      .def("spec", &PyEnvHandle::spec)
      .def("reset", &PyEnvHandle::reset, py::arg("seed") = py::none(), py::arg("options") = EnvKwargs{})
      .def("step", &PyEnvHandle::step)
      .def("render", &PyEnvHandle::render)
      .def("save_state", &PyEnvHandle::save_state)
      .def("mujoco_state", &PyEnvHandle::mujoco_state);

  py::class_<PyVectorEnv>(m, "VectorEnv")
      .def(py::init<const std::string&, int, int, int, const EnvKwargs&>(), py::arg("id"), py::arg("num_envs"),
           py::arg("threads") = 1, py::arg("max_episode_steps") = -1, py::arg("kwargs") = EnvKwargs{})
      .def("spec", &PyVectorEnv::spec)
      .def_property_readonly("num_envs", &PyVectorEnv::num_envs)
      .def("obs", [](py::object self) { return self.cast<PyVectorEnv&>().obs(self); })
      .def("final_obs", [](py::object self) { return self.cast<PyVectorEnv&>().final_obs(self); })
      .def("rewards", [](py::object self) { return self.cast<PyVectorEnv&>().rewards(self); })
      .def("rewards64", [](py::object self) { return self.cast<PyVectorEnv&>().rewards64(self); })
      .def("terminated", [](py::object self) { return self.cast<PyVectorEnv&>().terminated(self); })
      .def("truncated", [](py::object self) { return self.cast<PyVectorEnv&>().truncated(self); })
      .def("reset", &PyVectorEnv::reset, py::arg("seed"), py::arg("options") = EnvKwargs{})
      .def("reset_all", &PyVectorEnv::reset_all, py::arg("options") = EnvKwargs{})
      .def("step", &PyVectorEnv::step, py::arg("actions"), py::arg("skip") = py::none());

  py::class_<EvalResult>(m, "EvalResult")
      .def_readonly("returns", &EvalResult::returns)
      .def_readonly("mean", &EvalResult::mean)
      .def_readonly("std", &EvalResult::std)
      .def_readonly("cut", &EvalResult::cut);

  py::class_<TrainResult>(m, "TrainResult")
      .def_readonly("steps", &TrainResult::steps)
      .def_readonly("updates", &TrainResult::updates)
      .def_readonly("wall_seconds", &TrainResult::wall_seconds)
      .def_readonly("stopped", &TrainResult::stopped)
      .def_readonly("stop_reason", &TrainResult::stop_reason)
      .def_readonly("eval", &TrainResult::eval);

  // Resolves a run configuration as `ratchet train` does and returns it as YAML text (validated).
  m.def("resolve_config", [](const std::string& algo, const std::string& env, std::optional<int64_t> seed,
                             std::optional<int64_t> steps, const std::vector<std::string>& sets,
                             const std::string& preset_env) {
    return ResolveRunConfig({algo, env, seed, steps, "", sets, preset_env}).ToYaml();
  }, py::arg("algo"), py::arg("env"), py::arg("seed"), py::arg("steps"), py::arg("sets"), py::arg("preset_env") = "");
  m.def("train",
        [](const std::string& algo, const std::string& env, std::optional<int64_t> seed, std::optional<int64_t> steps,
           const std::vector<std::string>& sets, const std::filesystem::path& dir, py::object callback, bool progress,
           const std::string& preset, const std::string& preset_env) {
          RunConfig cfg = ResolveRunConfig({algo, env, seed, steps, preset, sets, preset_env});
          std::error_code ec;
          if (World().rank() == 0) std::filesystem::create_directories(dir, ec);  // rank 0 writes the run
          if (ec) throw Error("cannot create run directory '" + dir.string() + "': " + ec.message());
          return RunTraining(false, dir, &cfg, std::nullopt, callback, progress);
        });
  m.def("run_dir_status", [](const std::filesystem::path& dir) {
    const RunDirStatus s = InspectRunDir(dir);
    py::dict d;
    d["exists"] = s.exists;
    d["has_checkpoint"] = s.has_checkpoint;
    d["has_model"] = s.has_model;
    d["in_use"] = s.in_use;
    return d;
  });
  m.def("resume", [](const std::filesystem::path& dir, std::optional<int64_t> steps, py::object callback, bool progress,
                     bool restart_schedules) {
    return RunTraining(true, dir, nullptr, steps, callback, progress, restart_schedules);
  }, py::arg("dir"), py::arg("steps"), py::arg("callback"), py::arg("progress"), py::arg("restart_schedules") = false);

  py::class_<PyModel>(m, "Model")
      .def(py::init<const std::filesystem::path&>())
      .def_property_readonly("algo", &PyModel::algo)
      .def_property_readonly("env", &PyModel::env)
      .def_property_readonly("steps", &PyModel::steps)
      .def_property_readonly("source", &PyModel::source)
      .def_static("initial", [](const std::string& config_yaml) {
        return PyModel(InitialModel(RunConfigFromYaml(config_yaml, "the model's configuration")));
      })
      .def("spec", &PyModel::spec)
      .def("predict", &PyModel::predict, py::arg("obs"), py::arg("deterministic") = true, py::arg("seed") = 0)
      .def("evaluate", &PyModel::evaluate, py::arg("episodes"), py::arg("seed"), py::arg("deterministic"),
           py::arg("max_steps") = 0)
      .def("export", &PyModel::export_policy)
      .def("export_onnx", &PyModel::export_onnx)
      .def("export_c", &PyModel::export_c)
      .def("save_initial", &PyModel::save_initial)
      .def("record", &PyModel::record);

  py::class_<DeployedPolicy>(m, "DeployedPolicy")
      .def(py::init([](const std::string& path) {
        try {
          return DeployedPolicy::Load(path);
        } catch (const DeployError& e) {
          throw Error(e.what());
        }
      }))
      .def_property_readonly("obs_dim", &DeployedPolicy::obs_dim)
      .def_property_readonly("action_dim", &DeployedPolicy::action_dim)
      .def_property_readonly("discrete", &DeployedPolicy::discrete)
      .def("act", [](const DeployedPolicy& p, const CArray<float>& obs) {
        const int od = p.obs_dim(), ad = p.action_dim();
        const py::ssize_t n = CheckObservations(obs, od, "act");
        const py::ssize_t batch = std::max<py::ssize_t>(n, 1);
        py::array_t<float> out(n == 0 ? std::vector<py::ssize_t>{ad} : std::vector<py::ssize_t>{batch, ad});
        for (py::ssize_t b = 0; b < batch; ++b)
          p.Act(std::span<const float>(obs.data() + b * od, od), std::span<float>(out.mutable_data() + b * ad, ad));
        return out;
      });
}
