// Child processes of sweeps and tuning sessions (experiment_runner.cc, tune_session.cc): each run
// is a `ratchet train` or `resume` of its own.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace ratchet {

// The stop signal (SIGINT, SIGTERM) received, 0 while none; set by StopSignalScope's handler.
extern volatile sig_atomic_t g_stop_signal;
// While it lives, SIGINT and SIGTERM are caught into g_stop_signal (reset to 0 first): an
// experiment passes them on to its children (each writes a checkpoint) and starts no new one; a
// served run (ServeRun, stop_training) also asks its training to stop, as RequestStop does. The
// caller's handlers come back when it ends.
class StopSignalScope {
 public:
  explicit StopSignalScope(bool stop_training = false);
  ~StopSignalScope();
  StopSignalScope(const StopSignalScope&) = delete;
  StopSignalScope& operator=(const StopSignalScope&) = delete;

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

// The program of the runs (RunnerOptions::command's rule); throws Error when there is none.
std::vector<std::string> RunCommand(const std::vector<std::string>& requested);
// The last non-empty line of a log; when there is none, a note saying so (and whether the file
// system holding the log is full, which would explain it).
std::string LastLine(const std::filesystem::path& p);
// Starts `args` (args[0] the program) with stdout and stderr appended to `log` and stdin from
// /dev/null, in this environment less an MPI launcher's variables (a child is a process of its
// own, not a member of the parent's job). With die_with_parent the kernel kills the child when
// this process ends, kill -9 included. Returns its pid; throws Error when it cannot start.
pid_t Spawn(const std::vector<std::string>& args, const std::filesystem::path& log, bool die_with_parent = false);
// Waits for child pid, passing a stop signal on to it; returns its exit code (128 + signal when
// killed).
int WaitChild(pid_t pid);
// The exit code of a waitpid status.
int ExitCode(int status);

}  // namespace ratchet
