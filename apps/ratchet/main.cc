// ratchet: the command-line tool. This file: the command line's frame (the global options, the
// plugins, parsing, one line and exit code 2 for every user error) and the MPI job; the
// subcommands are in training.cc, models.cc, experiments.cc and info.cc (commands.h).
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>

#include "commands.h"
#include "ratchet/ratchet.h"

namespace fs = std::filesystem;

namespace ratchet::cli {

namespace {
// The job of train/resume/sweep (World()); null before one of them asks for it.
Comm* g_world = nullptr;

std::function<void(const fs::path&, const std::string&)>& NewRunHookSetting() {
  static std::function<void(const fs::path&, const std::string&)> hook;
  return hook;
}
}  // namespace

void SetNewRunHook(std::function<void(const fs::path& dir, const std::string& env)> hook) {
  NewRunHookSetting() = std::move(hook);
}
const std::function<void(const fs::path&, const std::string&)>& NewRunHook() { return NewRunHookSetting(); }

Comm& Job() {
  if (g_world == nullptr) g_world = &World();
  return *g_world;
}

bool Lead() { return g_world == nullptr || g_world->rank() == 0; }

int64_t ParseCount(const std::string& text, const std::string& flag, bool allow_zero) {
  // the config's own integer reading, so that --steps 1e5 means what n_timesteps=1e5 means
  int64_t v = -1;
  try {
    ConfigValue<int64_t>::Parse(flag, text, &v);
  } catch (const Error&) {
    v = -1;
  }
  if (v < (allow_zero ? 0 : 1))
    throw Error(fmt::format("{} must be a {} integer, got '{}'", flag,
                            allow_zero ? "non-negative" : "positive", text));
  return v;
}

int Main(int argc, char** argv) {
  CLI::App app{"Ratchet: policy-gradient reinforcement learning (PPO, ...) in C++"};
  app.require_subcommand(1);
  std::string version = BuildReport(false);
  version.pop_back();  // the final newline
  app.set_version_flag("--version", version);
  std::vector<std::string> plugins;
  app.add_option("--plugin", plugins,
                 "load environments from a plugin library (repeatable; also RATCHET_PLUGINS=a.so:b.so)");
  std::vector<Command> commands;
  AddTrainingCommands(app, commands);
  AddModelCommands(app, commands);
  AddExperimentCommands(app, commands);
  AddInfoCommands(app, commands);

  // the first word that is not an option or an option's value is the command
  int first = 1;
  while (first + 1 < argc && std::string(argv[first]) == "--plugin") first += 2;
  if (first < argc && std::string(argv[first]).starts_with("--plugin=")) ++first;
  if (argc > first && argv[first][0] != '-') {
    const std::string cmd = argv[first];
    bool known = false;
    std::string names;
    for (const CLI::App* sub : app.get_subcommands({})) {
      known |= sub->get_name() == cmd;
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::cerr << "ratchet: error: unknown command '" << cmd << "'; commands: " << names << "\n";
      return 2;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "ratchet: error: " << e.what() << " (see ratchet --help)\n";
    return 2;
  }

  try {
    if (const char* env_plugins = std::getenv("RATCHET_PLUGINS")) {
      std::string list = env_plugins;
      size_t start = 0;
      while (start <= list.size()) {
        const size_t end = std::min(list.find(':', start), list.size());
        if (end > start) LoadPlugin(list.substr(start, end - start));
        start = end + 1;
      }
    }
    for (const std::string& p : plugins) LoadPlugin(p);
    for (const Command& c : commands)
      if (c.app->parsed()) return c.run();
  } catch (const CollectiveError& e) {
    // every rank has it: rank 0 says it once
    if (Lead()) std::cerr << "ratchet: error: " << e.what() << "\n";
    return 2;
  } catch (const Error& e) {
    if (g_world != nullptr && g_world->size() > 1) {
      // only this rank knows: say so and end the whole job rather than leave the others waiting
      std::cerr << "ratchet: error: rank " << g_world->rank() << ": " << e.what() << "\n" << std::flush;
      g_world->Abort(2);
    }
    std::cerr << "ratchet: error: " << e.what() << "\n";
    return 2;
  } catch (const InternalError& e) {
    if (g_world != nullptr && g_world->size() > 1) {
      std::cerr << "ratchet: rank " << g_world->rank() << ": " << e.what() << " (please report this bug)\n" << std::flush;
      g_world->Abort(3);
    }
    std::cerr << "ratchet: " << e.what() << " (please report this bug)\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "ratchet: error: " << e.what() << "\n";
    return 1;
  } catch (...) {  // a plugin's code outside the guarded calls
    std::cerr << "ratchet: error: something that is not a std::exception was thrown (by a plugin's code?)\n";
    return 2;
  }
  return 0;
}

}  // namespace ratchet::cli
