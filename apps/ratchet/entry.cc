// The ratchet executable (the command line itself: main.cc).
#include <filesystem>

#include "cli.h"
#include "ratchet/experiment.h"

int main(int argc, char** argv) {
  // the runs of sweep and tune are this executable's train and resume
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) ratchet::SetRunCommand({self.string()});
  return ratchet::cli::Main(argc, argv);
}
