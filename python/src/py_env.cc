#include "py_env.h"

#include <pybind11/numpy.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_map>
#include <limits>

namespace py = pybind11;

namespace ratchet::python {
namespace {

// Reads a gymnasium-style space (Box: shape/low/high; Discrete: n) into a Ratchet Space.
Space ReadSpace(const py::object& space, const std::string& id, const char* which) {
  if (space.is_none()) throw Error(id + ": " + which + " is missing (None)");
  if (py::hasattr(space, "n") && !py::hasattr(space, "low")) {
    const int64_t n = space.attr("n").cast<int64_t>();
    if (n < 1 || n > (1 << 24)) throw Error(id + ": " + which + " Discrete(n) needs 1 <= n <= 2^24");
    return Space::Discrete(static_cast<int>(n));
  }
  if (!py::hasattr(space, "low") || !py::hasattr(space, "high"))
    throw Error(id + ": " + which + " must be a Box (low, high) or a Discrete (n) space");
  auto low = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(space.attr("low"));
  auto high = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(space.attr("high"));
  if (!low || !high || low.size() != high.size() || low.size() == 0)
    throw Error(id + ": " + which + " Box bounds must be arrays of one non-zero size");
  std::vector<float> lo(low.data(), low.data() + low.size()), hi(high.data(), high.data() + high.size());
  return Space::Box(std::move(lo), std::move(hi));
}

// Environments that neither save their state nor pickle leave their live instance here when a
// checkpoint is written, under a token the checkpoint records; a continuation in the same process
// adopts the instance (exact), one in another process finds no instance and restarts episodes.
// The table is never destroyed (it may outlive the interpreter); ClearLiveEnvs empties it.
struct LiveEnvs {
  uint64_t process = 0;  // tells this process's tokens from another's
  uint64_t next = 1;
  std::unordered_map<uint64_t, py::object> kept;
};
LiveEnvs& Live() {
  static LiveEnvs* live = [] {
    auto* l = new LiveEnvs;
    l->process = std::random_device{}() ^ (static_cast<uint64_t>(std::random_device{}()) << 32);
    return l;
  }();
  return *live;
}
constexpr char kLiveTag[8] = {'r', 'l', 'i', 'v', 'e', 'e', 'n', 'v'};

class PythonEnv final : public Env {
 public:
  PythonEnv(py::object env, std::string id) : env_(std::move(env)) {
    spec_.id = std::move(id);
    spec_.observation_space = ReadSpace(env_.attr("observation_space"), spec_.id, "observation_space");
    spec_.action_space = ReadSpace(env_.attr("action_space"), spec_.id, "action_space");
    // the shape observations must have: the Box's (its low bound's), or flat when not given
    const py::object space = env_.attr("observation_space");
    py::array shaped = py::array_t<float>(spec_.observation_space.flat_dim());
    if (py::hasattr(space, "low")) {
      const py::array low = py::array::ensure(space.attr("low"));
      if (low && low.ndim() >= 1 && low.size() == spec_.observation_space.flat_dim()) shaped = low;
    }
    obs_shape_.assign(shaped.shape(), shaped.shape() + shaped.ndim());
    obs_shape_text_ = ShapeText(shaped);
    for (const char* m : {"reset", "step"})
      if (!py::hasattr(env_, m)) throw Error(spec_.id + ": the environment has no " + m + "() method");
    if (py::hasattr(env_, "spec") && !env_.attr("spec").is_none()) {
      const py::object s = env_.attr("spec");
      if (py::hasattr(s, "max_episode_steps") && !s.attr("max_episode_steps").is_none())
        spec_.max_episode_steps = s.attr("max_episode_steps").cast<int>();
      if (py::hasattr(s, "reward_threshold") && !s.attr("reward_threshold").is_none())
        spec_.reward_threshold = s.attr("reward_threshold").cast<double>();
    }
    // how its state is saved for checkpoints: its own get_state()/set_state(state) pair, else
    // the whole object pickled (a Gymnasium env whose parts pickle), else not at all
    const py::module_ pickle = py::module_::import("pickle");
    if (py::hasattr(env_, "get_state") && py::hasattr(env_, "set_state")) {
      state_ = State::kMethods;
    } else {
      try {
        pickle.attr("dumps")(env_);
        state_ = State::kPickle;
      } catch (py::error_already_set&) {
        state_ = State::kNone;
      }
    }
  }
  ~PythonEnv() override {
    py::gil_scoped_acquire gil;
    env_ = py::object();
  }

  const EnvSpec& spec() const override { return spec_; }

  bool can_save_state() const override { return true; }
  std::vector<uint8_t> SaveState() const override {
    py::gil_scoped_acquire gil;
    if (state_ == State::kNone) {  // the live instance, kept in this process under a token
      LiveEnvs& live = Live();
      if (kept_ != 0) live.kept.erase(kept_);
      kept_ = live.next++;
      live.kept[kept_] = env_;
      std::vector<uint8_t> token(kLiveTag, kLiveTag + sizeof kLiveTag);
      for (const uint64_t v : {live.process, kept_})
        for (int b = 0; b < 8; ++b) token.push_back(static_cast<uint8_t>(v >> (8 * b)));
      return token;
    }
    const py::object what = state_ == State::kMethods ? env_.attr("get_state")() : env_;
    const py::bytes b = py::module_::import("pickle").attr("dumps")(what, py::arg("protocol") = 4);
    const std::string_view s = b;
    return {s.begin(), s.end()};
  }
  void RestoreState(std::span<const uint8_t> state) override {
    py::gil_scoped_acquire gil;
    if (state.size() == sizeof kLiveTag + 16 && std::equal(kLiveTag, kLiveTag + sizeof kLiveTag, state.begin())) {
      uint64_t process = 0, token = 0;
      for (int b = 0; b < 8; ++b) {
        process |= static_cast<uint64_t>(state[sizeof kLiveTag + b]) << (8 * b);
        token |= static_cast<uint64_t>(state[sizeof kLiveTag + 8 + b]) << (8 * b);
      }
      LiveEnvs& live = Live();
      const auto it = live.kept.find(token);
      if (process != live.process || it == live.kept.end())
        throw StateUnavailable("environment '" + spec_.id + "' does not save its state (give it get_state() and "
                               "set_state(state), or make it picklable, to continue exactly in a new process)");
      env_ = std::move(it->second);  // adopted: the checkpoint's instance goes on from where it was
      live.kept.erase(it);
      return;
    }
    if (state_ == State::kNone) throw Error(spec_.id + ": the saved state is not a live-instance token");
    const py::bytes b(reinterpret_cast<const char*>(state.data()), state.size());
    py::object restored;
    try {
      restored = py::module_::import("pickle").attr("loads")(b);
    } catch (py::error_already_set& e) {
      throw Error(spec_.id + ": the saved environment state cannot be unpickled: " + std::string(e.what()));
    }
    if (state_ == State::kMethods) {
      env_.attr("set_state")(restored);
    } else {
      env_ = std::move(restored);
    }
  }
  void Reset(uint64_t seed, std::span<float> obs) override {
    py::gil_scoped_acquire gil;
    // a Python exception propagates as py::error_already_set, traceback included
    ReadReset(env_.attr("reset")(py::arg("seed") = seed), obs);
  }
  void Reset(std::span<float> obs) override {
    py::gil_scoped_acquire gil;
    ReadReset(env_.attr("reset")(), obs);
  }

  StepResult Step(std::span<const float> action, std::span<float> obs) override {
    py::gil_scoped_acquire gil;
    py::object a;
    if (spec_.action_space.is_discrete()) {
      a = py::int_(static_cast<int64_t>(action[0]));
    } else {
      py::array_t<float> arr(static_cast<py::ssize_t>(action.size()));
      std::copy(action.begin(), action.end(), arr.mutable_data());
      a = std::move(arr);
    }
    const py::object out = env_.attr("step")(a);
    if (!py::isinstance<py::tuple>(out) || py::len(out) != 5)
      throw Error(spec_.id + ".step() must return (obs, reward, terminated, truncated, info), got " +
                  py::str(out.get_type()).cast<std::string>());
    const py::tuple t = out.cast<py::tuple>();
    ReadObs(t[0], obs, "step");
    StepResult r;
    const py::object reward = t[1];
    if (!py::isinstance<py::float_>(reward) && !py::isinstance<py::int_>(reward) &&
        !py::hasattr(reward, "__float__"))
      throw Error(spec_.id + ".step() returned a reward of type " + py::str(reward.get_type()).cast<std::string>() +
                  "; expected a number");
    r.reward = reward.cast<double>();  // checked (finite, fits a float) by the TimeLimit around every env
    r.terminated = ReadFlag(t[2], "terminated");
    r.truncated = ReadFlag(t[3], "truncated");
    return r;
  }

  void Render(int width, int height, std::vector<uint8_t>* rgb) override {
    py::gil_scoped_acquire gil;
    if (!py::hasattr(env_, "render")) Env::Render(width, height, rgb);
    auto frame = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>::ensure(env_.attr("render")());
    if (!frame || frame.ndim() != 3 || frame.shape(2) != 3 || frame.shape(0) < 1 || frame.shape(1) < 1)
      throw Error(spec_.id + ".render() must return an RGB array of shape (height, width, 3) (render_mode "
                  "'rgb_array')");
    // scaled to the size asked for (nearest pixel)
    const py::ssize_t h = frame.shape(0), w = frame.shape(1);
    rgb->resize(static_cast<size_t>(width) * height * 3);
    const uint8_t* src = frame.data();
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) {
        const py::ssize_t sy = y * h / height, sx = x * w / width;
        std::copy_n(src + (sy * w + sx) * 3, 3, rgb->data() + (static_cast<size_t>(y) * width + x) * 3);
      }
  }

 private:
  // A bool, NumPy's bool, or the integers 0 and 1.
  bool ReadFlag(const py::handle& v, const char* name) {
    if (py::isinstance<py::bool_>(v)) return v.cast<bool>();
    const std::string type = py::str(v.get_type()).cast<std::string>();
    if (type == "<class 'numpy.bool_'>" || type == "<class 'numpy.bool'>") return v.cast<bool>();
    if (py::isinstance<py::int_>(v)) {
      const long long i = v.cast<long long>();
      if (i == 0 || i == 1) return i == 1;
    }
    throw Error(spec_.id + ".step() returned " + name + " = " + py::repr(v).cast<std::string>() + " of " + type +
                "; expected a bool");
  }

  void ReadReset(const py::object& out, std::span<float> obs) {
    if (!py::isinstance<py::tuple>(out) || py::len(out) != 2)
      throw Error(spec_.id + ".reset() must return (obs, info), got " + py::str(out.get_type()).cast<std::string>());
    ReadObs(out.cast<py::tuple>()[0], obs, "reset");
  }

  void ReadObs(const py::handle& o, std::span<float> obs, const char* method) {
    const py::array raw = py::array::ensure(o);
    if (!raw || raw.dtype().kind() == 'O' || raw.dtype().kind() == 'U' || raw.dtype().kind() == 'S' ||
        raw.dtype().kind() == 'c')
      throw Error(spec_.id + "." + method + "() returned an observation that is not an array of real numbers (" +
                  py::str(o.get_type()).cast<std::string>() + ")");
    auto arr = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(raw);
    if (!arr) throw Error(spec_.id + "." + method + "() returned an observation that is not numeric");
    if (static_cast<size_t>(arr.size()) != obs.size() || !SameShape(arr))
      throw Error(spec_.id + "." + method + "() returned an observation of " + std::to_string(arr.size()) +
                  " values, shape " + ShapeText(arr) + "; observation_space has " + std::to_string(obs.size()) +
                  ", shape " + obs_shape_text_);
    std::copy(arr.data(), arr.data() + arr.size(), obs.begin());
  }

  enum class State { kNone, kMethods, kPickle };

  bool SameShape(const py::array& a) const {
    if (static_cast<size_t>(a.ndim()) != obs_shape_.size()) return false;
    for (py::ssize_t d = 0; d < a.ndim(); ++d)
      if (a.shape(d) != obs_shape_[d]) return false;
    return true;
  }
  std::vector<py::ssize_t> obs_shape_;
  std::string obs_shape_text_;

  py::object env_;
  EnvSpec spec_;
  State state_ = State::kNone;
  mutable uint64_t kept_ = 0;  // kNone: this instance's token in Live(), 0 when none
};

}  // namespace

std::string ShapeText(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t d = 0; d < a.ndim(); ++d) s += (d ? ", " : "") + std::to_string(a.shape(d));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

void ClearLiveEnvs() { Live().kept.clear(); }

std::unique_ptr<Env> MakePythonEnv(const py::object& factory, const std::string& id) {
  py::gil_scoped_acquire gil;
  py::object env = factory();
  return std::make_unique<PythonEnv>(std::move(env), id);
}

}  // namespace ratchet::python
