// ratchet eval and ratchet export: what a trained run's model does, and the files it deploys as.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <iostream>
#include <memory>

#include "commands.h"
#include "ratchet/ratchet.h"
#include "ratchet/viz.h"

namespace ratchet::cli {

namespace fs = std::filesystem;

namespace {

struct GifOptions {
  std::string path;
  int width = 320, height = 240, max_frames = 500;
};

struct EvalArgs {
  std::string run_dir, episodes = "10", seed, max_steps;
  bool deterministic = false, stochastic = false, best = false;
  GifOptions gif;
};

int Eval(EvalArgs& a) {
  a.gif.height = a.gif.width * 3 / 4;
  std::vector<bool> modes;
  if (a.deterministic || !a.stochastic) modes.push_back(true);
  if (a.stochastic || !a.deterministic) modes.push_back(false);
  const std::string& run_dir = a.run_dir;
  const std::string& episodes_text = a.episodes;
  const std::string& seed_text = a.seed;
  const GifOptions& gif = a.gif;
  const bool best = a.best;
  const std::string& max_steps_text = a.max_steps;
  const int64_t episodes = ParseCount(episodes_text, "--episodes", false);
  if (episodes > 1'000'000) throw Error(fmt::format("--episodes must be at most 1e6, got {}", episodes_text));
  EvalLimits limits;
  if (!max_steps_text.empty()) {
    const int64_t max_steps = ParseCount(max_steps_text, "--max-steps", false);
    if (max_steps > 1'000'000'000) throw Error(fmt::format("--max-steps must be at most 1e9, got {}", max_steps_text));
    limits.max_steps = static_cast<int>(max_steps);
  }
  const uint64_t seed = seed_text.empty() ? kEvalSeedBase
                                          : static_cast<uint64_t>(ParseCount(seed_text, "--seed", true));
  if (!gif.path.empty()) {
    // checked before any episode runs
    const fs::path p(gif.path);
    std::string ext = p.extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext != ".gif") throw Error(fmt::format("--gif writes a GIF: give a path ending in .gif, got '{}'", gif.path));
    const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
    if (!fs::is_directory(dir) || access(dir.c_str(), W_OK) != 0)
      throw Error(fmt::format("--gif: cannot write into '{}' (missing or not writable)", dir.string()));
    if (fs::is_directory(p)) throw Error(fmt::format("--gif: '{}' is a directory", gif.path));
    if (modes.size() == 1 && !modes[0])
      throw Error("--gif renders a deterministic episode; it cannot be combined with --stochastic");
  }
  const TrainedModel m = LoadTrainedModel(run_dir, best ? "best_model.bin" : "model.bin");
  const RunConfig& cfg = m.cfg;
  if (!m.source.empty())
    std::cerr << fmt::format("ratchet: note: {} has no model.bin yet (still training, or interrupted): using its "
                             "newest {}\n", run_dir, m.source);
  std::cout << fmt::format("{} on {} from {}{}: {} episodes, seeds {}..{}\n", cfg.train.algo,
                           cfg.train.env, run_dir, best ? " (best_model.bin)" : "", episodes, seed,
                           seed + episodes - 1);
  limits.env_kwargs = cfg.train.kwargs();
  for (const bool det : modes) {
    const EvalResult r = Evaluate(*m.policy, cfg.train.env, static_cast<int>(episodes), seed, det, &m.norm, limits);
    std::cout << fmt::format("  {:<13} return {:.2f} +- {:.2f}  (min {:.1f}, max {:.1f})\n",
                             det ? "deterministic" : "stochastic", r.mean, r.std,
                             *std::min_element(r.returns.begin(), r.returns.end()),
                             *std::max_element(r.returns.begin(), r.returns.end()));
    if (r.cut > 0)
      std::cout << fmt::format("  note: {} of the {} episodes were cut at {} steps (the environment has no time "
                               "limit; --max-steps sets another)\n", r.cut, episodes,
                               limits.max_steps > 0 ? limits.max_steps : kDefaultEvalMaxSteps);
  }
  if (!gif.path.empty()) {
    const GifResult g = RecordGif(*m.policy, cfg.train.env, &m.norm, seed, gif.path, gif.width, gif.height,
                                  gif.max_frames, 1, cfg.train.kwargs());
    std::cout << fmt::format("  wrote {} (deterministic episode, seed {}, return {:.2f}, {} steps, {} frames, one "
                             "every {} steps)\n",
                             gif.path, seed, g.episode_return, g.steps, g.frames, g.every);
    if (g.steps_rendered < g.steps)
      std::cout << fmt::format("  note: the GIF shows the first {} of the episode's {} steps (--gif-frames {}); "
                               "raise --gif-frames for all of it\n",
                               g.steps_rendered, g.steps, gif.max_frames);
  }
  return 0;
}

struct ExportArgs {
  std::string run_dir, output, format;
  bool best = false;
};

int Export(const ExportArgs& a) {
  const TrainedModel m = LoadTrainedModel(a.run_dir, a.best ? "best_model.bin" : "model.bin");
  if (!m.source.empty())
    std::cerr << fmt::format("ratchet: note: {} has no model.bin yet (still training, or interrupted): "
                             "exporting its newest {}\n", a.run_dir, m.source);
  std::string format = a.format;
  const std::string ext = fs::path(a.output).extension().string();
  if (format.empty()) format = ext == ".onnx" ? "onnx" : ext == ".c" || ext == ".h" ? "c" : "rpol";
  std::string written = a.output;
  if (format == "onnx") {
    ExportOnnx(m, a.output);
  } else if (format == "rpol") {
    ExportPolicy(m, a.output);
  } else if (format == "c") {
    const fs::path base = fs::path(a.output).replace_extension();
    ExportC(m, a.output, a.run_dir);
    written = base.string() + ".h and " + base.string() + ".c";
  } else {
    throw Error(fmt::format("--format must be rpol, onnx or c, got '{}'", format));
  }
  std::cout << fmt::format("wrote {} ({}{} on {}, {} network parameters{}{})\n", written,
                           a.best ? "best model of " : "",
                           m.cfg.train.algo, m.cfg.train.env, m.policy->mlp().num_params(),
                           m.norm.enabled ? ", observation normaliser" : "",
                           format == "onnx" ? "; ONNX, opset 13" : format == "c" ? "; C99" : "");
  return 0;
}

}  // namespace

void AddModelCommands(CLI::App& app, std::vector<Command>& out) {
  {
    auto a = std::make_shared<EvalArgs>();
    CLI::App* eval = app.add_subcommand("eval", "evaluate a trained run (deterministic and stochastic unless one is chosen)");
    eval->add_option("run_dir", a->run_dir, "run directory written by `ratchet train`")->required();
    eval->add_option("--episodes", a->episodes, "episodes per mode")->capture_default_str();
    eval->add_option("--seed", a->seed, "seed of the first evaluation episode");
    CLI::Option* det_flag = eval->add_flag("--deterministic", a->deterministic, "only the distribution's mode");
    eval->add_flag("--stochastic", a->stochastic, "only actions sampled from the policy")->excludes(det_flag);
    eval->add_option("--gif", a->gif.path, "also render the first deterministic episode to this GIF (MuJoCo envs)");
    eval->add_option("--gif-size", a->gif.width, "GIF width in pixels (height is 3/4 of it)")->check(CLI::Range(16, 1920));
    eval->add_option("--gif-frames", a->gif.max_frames, "at most this many GIF frames (a time-limited episode is thinned to fit)")
        ->check(CLI::Range(2, 100000));
    eval->add_flag("--best", a->best, "the best periodically evaluated model (best_model.bin) instead of the last");
    eval->add_option("--max-steps", a->max_steps,
                     "cut each episode after this many steps (default: the environment's time limit, or 10000 without one)");
    out.push_back({eval, [a] { return Eval(*a); }});
  }
  {
    auto a = std::make_shared<ExportArgs>();
    CLI::App* exp = app.add_subcommand("export", "write a run's policy as a deployable file: .rpol (ratchet::DeployedPolicy) "
                                                 "or ONNX (normalisation inside)");
    exp->add_option("run_dir", a->run_dir, "run directory written by `ratchet train`")->required();
    exp->add_option("-o,--output", a->output, "output file, e.g. policy.rpol, policy.onnx, or policy for policy.h/policy.c")
        ->required();
    exp->add_option("--format", a->format,
                    "rpol, onnx or c (default: from the output's extension: .onnx, .c or .h, else rpol)");
    exp->add_flag("--best", a->best, "export the best periodically evaluated model (best_model.bin)");
    out.push_back({exp, [a] { return Export(*a); }});
  }
}

}  // namespace ratchet::cli
