#include "train/child_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <string_view>

#include "ratchet/core.h"
#include "ratchet/experiment.h"

extern char** environ;

namespace ratchet {

namespace fs = std::filesystem;

volatile sig_atomic_t g_stop_signal = 0;

namespace {

volatile sig_atomic_t g_stop_training = 0;  // the scope's stop_training

void OnStopSignal(int sig) {
  g_stop_signal = sig;
  if (g_stop_training) RequestStop();
}

// This environment without the variables of an MPI launcher.
std::vector<std::string> ChildEnvironment() {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view v(*e);
    bool launcher = false;
    for (const char* prefix : {"OMPI_", "PMIX_", "PMI_", "OPAL_", "ORTE_", "PRTE_", "HYDRA_", "MPI_LOCALRANKID"})
      launcher |= v.starts_with(prefix);
    if (!launcher) out.emplace_back(v);
  }
  return out;
}

}  // namespace

StopSignalScope::StopSignalScope(bool stop_training) {
  g_stop_signal = 0;  // an experiment run again in one process starts unstopped
  g_stop_training = stop_training ? 1 : 0;
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int_);
  sigaction(SIGTERM, &sa, &old_term_);
}

StopSignalScope::~StopSignalScope() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

namespace {
std::vector<std::string>& RunCommandSetting() {
  static std::vector<std::string> command;
  return command;
}
}  // namespace

void SetRunCommand(std::vector<std::string> command) { RunCommandSetting() = std::move(command); }

std::vector<std::string> RunCommand(const std::vector<std::string>& requested) {
  if (!requested.empty()) return requested;
  if (!RunCommandSetting().empty()) return RunCommandSetting();
  if (const char* cli = std::getenv("RATCHET_CLI"); cli != nullptr && *cli != '\0') return {cli};
  throw Error("no program to run the experiment's runs: set RunnerOptions::command (e.g. the ratchet executable), "
              "set RATCHET_CLI, or start main() with ratchet::ServeRun(argc, argv)");
}

std::string LastLine(const fs::path& p) {
  std::ifstream in(p);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  if (!last.empty()) return last;
  // nothing to quote: say why there may be nothing
  struct statvfs fs_stat {};
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  if (::statvfs(dir.c_str(), &fs_stat) == 0 && fs_stat.f_bavail == 0)
    return "no output: the file system holding its log is full";
  return "no output (it printed nothing before it ended)";
}

pid_t Spawn(const std::vector<std::string>& args, const fs::path& log, bool die_with_parent) {
  if (die_with_parent) {
    // fork + exec: the death signal can only be asked for in the child
    std::vector<std::string> env = ChildEnvironment();
    std::vector<char*> argv, envp;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) throw Error(fmt::format("cannot start {}: {}", args[0], std::strerror(errno)));
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);  // the parent is already gone
      const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      const int in = open("/dev/null", O_RDONLY);
      if (out < 0 || in < 0) _exit(127);
      dup2(out, STDOUT_FILENO);
      dup2(out, STDERR_FILENO);
      dup2(in, STDIN_FILENO);
      execve(args[0].c_str(), argv.data(), envp.data());
      _exit(127);
    }
    return pid;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env = ChildEnvironment();
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0].c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw Error(fmt::format("cannot start {}: {}", args[0], std::strerror(rc)));
  return pid;
}

int ExitCode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

int WaitChild(pid_t pid) {
  bool forwarded = false;
  for (;;) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, 0);
    if (done == pid) return ExitCode(status);
    if (done < 0 && errno != EINTR) return 127;
    if (g_stop_signal != 0 && !forwarded) {
      kill(pid, g_stop_signal);
      forwarded = true;
    }
  }
}

}  // namespace ratchet
