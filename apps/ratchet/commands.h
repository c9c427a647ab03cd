// The ratchet command line. Every subcommand follows one pattern: an Add* function registers it on
// the app with its own argument struct, and the Command it returns runs it from those arguments:
// parsing and printing here, the work in the library. Every user error is one line on stderr and
// exit code 2 (main.cc). What the executable and the Python package call is in cli.h.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cli.h"
#include "ratchet/comm.h"

namespace ratchet::cli {

// A subcommand: where CLI11 parsed it, and what runs it (the exit code; throws Error on bad input).
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// The subcommands, by what they work on.
void AddTrainingCommands(CLI::App& app, std::vector<Command>& out);    // train, resume (training.cc)
void AddModelCommands(CLI::App& app, std::vector<Command>& out);       // eval, export (models.cc)
void AddExperimentCommands(CLI::App& app, std::vector<Command>& out);  // sweep, tune, plot, table (experiments.cc)
void AddInfoCommands(CLI::App& app, std::vector<Command>& out);        // config, envs, algos, doctor (info.cc)

// Parses a count given on the command line; throws Error "FLAG must be a positive (or
// non-negative) integer, got 'TEXT'".
int64_t ParseCount(const std::string& text, const std::string& flag, bool allow_zero);

// The MPI job of this command (World(), asked for once), and whether this is its rank 0 (true
// before the job is asked for).
Comm& Job();
bool Lead();

}  // namespace ratchet::cli
