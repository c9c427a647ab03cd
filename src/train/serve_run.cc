// ServeRun: a program of the user's as the run command of its own sweeps and tuning sessions.

#include <fmt/format.h>
#include <iostream>

#include "ratchet/experiment.h"
#include "train/child_process.h"

namespace ratchet {

namespace fs = std::filesystem;

namespace {

// The first argument of a run's command line when the run command is a program that serves runs:
// a program's own arguments never start a run by accident.
constexpr const char* kServeFlag = "--ratchet-run";

int64_t Count(const std::string& text, const char* flag) {
  int64_t v = -1;
  ConfigValue<int64_t>::Parse(flag, text, &v);
  if (v < 0) throw Error(fmt::format("{} must be a non-negative integer, got '{}'", flag, text));
  return v;
}

// Trains or resumes the run of args (after kServeFlag); returns the exit code.
int Serve(const std::vector<std::string>& args) {
  size_t i = 0;
  auto value = [&](const std::string& flag) -> const std::string& {
    if (i + 1 >= args.size()) throw Error(fmt::format("{} needs a value", flag));
    return args[++i];
  };
  for (; i < args.size() && args[i] == "--plugin"; ++i) LoadPlugin(value("--plugin"));
  if (i == args.size() || (args[i] != "train" && args[i] != "resume"))
    throw Error(fmt::format("a run's command line is `{} [--plugin P]... train|resume ...`", kServeFlag));
  const bool train = args[i++] == "train";
  ResolveOptions ro;
  std::string dir;
  std::optional<int64_t> steps;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--quiet") continue;
    if (a == "--steps") {
      steps = Count(value(a), "--steps");
    } else if (train && a == "--algo") {
      ro.algo = value(a);
    } else if (train && a == "--env") {
      ro.env = value(a);
    } else if (train && a == "--seed") {
      ro.seed = Count(value(a), "--seed");
    } else if (train && a == "--run-dir") {
      dir = value(a);
    } else if (train && a == "--config") {
      ro.preset_path = value(a);
    } else if (train && a == "--set") {
      ro.sets.push_back(value(a));
    } else if (!train && dir.empty() && !a.starts_with("-")) {
      dir = a;
    } else {
      throw Error(fmt::format("unexpected argument '{}' in a run's command line", a));
    }
  }
  if (dir.empty()) throw Error("a run's command line names no run directory");
  const RunDirStatus st = InspectRunDir(dir);
  if (!st.in_use.empty()) throw Error(st.in_use);
  TrainResult res;
  {
    const StopSignalScope signals(/*stop_training=*/true);
    if (train) {
      ro.steps = steps;
      RunConfig cfg = ResolveRunConfig(ro);
      if (st.exists && !st.restartable())
        throw Error(fmt::format("run directory '{}' already holds a run with a checkpoint or a model", dir));
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (ec) throw Error(fmt::format("cannot create run directory '{}': {}", dir, ec.message()));
      res = Train(cfg, dir, {});
    } else {
      res = Resume(dir, {}, steps);
    }
  }
  if (res.stopped) {
    std::cout << fmt::format("stopped after {} steps: {}; checkpoint written in {}\n", res.steps, res.stop_reason, dir);
    return g_stop_signal != 0 ? 128 + g_stop_signal : 0;
  }
  std::cout << fmt::format("trained {} steps in {:.2f} s{}; run directory {}\n", res.steps, res.wall_seconds,
                           res.eval ? fmt::format(", deterministic evaluation {:.2f}", res.eval->mean) : "", dir);
  return 0;
}

}  // namespace

std::optional<int> ServeRun(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) != kServeFlag) {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) SetRunCommand({self.string(), kServeFlag});
    return std::nullopt;
  }
  try {
    return Serve(std::vector<std::string>(argv + 2, argv + argc));
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace ratchet
