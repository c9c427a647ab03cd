// The ratchet command line as its callers see it: the executable's main() and the Python
// package's `ratchet` command. Kept free of CLI11 (commands.h), so that neither parses it.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace ratchet::cli {

// The whole command line: parses argv and runs the command; returns the exit code. main() is
// this; so is the Python package's `ratchet` command for runs of Python environments, which it
// calls in-process once it has registered them.
int Main(int argc, char** argv);
// Called by `train`, on rank 0, with the run directory it is about to train into (created) and
// the run's environment id, before training starts; null by default. The Python package's
// command writes python_env.json there, so that later commands can make the environment again.
void SetNewRunHook(std::function<void(const std::filesystem::path& dir, const std::string& env)> hook);
const std::function<void(const std::filesystem::path&, const std::string&)>& NewRunHook();

}  // namespace ratchet::cli
