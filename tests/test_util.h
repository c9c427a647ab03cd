// Shared helpers for the test suite.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <functional>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <gtest/gtest.h>

#include "ratchet/core.h"
#include "ratchet/log.h"

namespace ratchet::testing {

// The message of the Error that f throws ("no error" when it throws none).
inline std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

// Central finite difference of f at x along coordinate i.
inline double CentralDiff(const std::function<double(const std::vector<double>&)>& f,
                          std::vector<double> x, size_t i, double h = 1e-6) {
  const double x0 = x[i];
  x[i] = x0 + h;
  const double fp = f(x);
  x[i] = x0 - h;
  const double fm = f(x);
  return (fp - fm) / (2 * h);
}

// The Kronecker product A (x) G: vec(X) stacks columns, and (A (x) G) vec(X) = vec(G X A^T).
inline Eigen::MatrixXd Kron(const Eigen::MatrixXd& A, const Eigen::MatrixXd& G) {
  Eigen::MatrixXd K(A.rows() * G.rows(), A.cols() * G.cols());
  for (int i = 0; i < A.rows(); ++i)
    for (int j = 0; j < A.cols(); ++j) K.block(i * G.rows(), j * G.cols(), G.rows(), G.cols()) = A(i, j) * G;
  return K;
}

// A fresh, empty directory under the test temp dir, removed first if it exists. The name holds
// the process id, so test suites of two builds running at once never share a directory; the
// directories go when the process exits (RATCHET_KEEP_TEST_DIRS=1 keeps them for inspection).
inline std::filesystem::path FreshDir(const std::string& name) {
  struct Cleanup {
    std::vector<std::filesystem::path> dirs;
    ~Cleanup() {
      if (std::getenv("RATCHET_KEEP_TEST_DIRS")) return;
      std::error_code ec;
      for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
    }
  };
  static Cleanup cleanup;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("ratchet_test_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  cleanup.dirs.push_back(dir);
  return dir;
}

// The whole file as bytes ("" when it cannot be read).
inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The real `ratchet` binary run on ARGS by the shell (ENV: assignments put before it), its
// exit code (-1 when it did not exit) and what it wrote to stdout and stderr.
struct CliResult {
  int code;
  std::string out, err;
};
#ifdef RATCHET_CLI
inline CliResult RunCli(const std::string& args, const std::string& env = "") {
  static int counter = 0;
  const auto dir = FreshDir("cli_io_" + std::to_string(counter++));
  const std::string cmd = env + " " + std::string(RATCHET_CLI) + " " + args + " >" + (dir / "out").string() +
                          " 2>" + (dir / "err").string();
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(dir / "out"), ReadFile(dir / "err")};
}
#endif

// The number of lines of S.
inline int Lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

// The rows of a progress.csv with the wall_time column (the third) removed: what must be
// identical between runs of the same seed.
inline std::vector<std::string> CsvWithoutWallTime(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> rows;
  for (std::string line; std::getline(in, line);) {
    std::stringstream ss(line);
    std::string cell, out;
    for (int c = 0; std::getline(ss, cell, ','); ++c)
      if (c != 2) out += cell + ",";
    rows.push_back(out);
  }
  return rows;
}

// The lines of a progress.jsonl with the wall_time field removed.
inline std::vector<std::string> JsonlWithoutWallTime(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> rows;
  for (std::string line; std::getline(in, line);) {
    const size_t a = line.find("\"wall_time\":");
    if (a != std::string::npos) line.erase(a, line.find(',', a) - a);
    rows.push_back(line);
  }
  return rows;
}

// The scalars of a run directory's TensorBoard event file as "tag@step=value" (wall time left out).
inline std::vector<std::string> EventsWithoutWallTime(const std::filesystem::path& run_dir) {
  std::vector<std::string> out;
  for (const ScalarEvent& e : ReadEventFile(FindEventFile(run_dir)))
    if (e.tag != "time/wall_time") out.push_back(e.tag + "@" + std::to_string(e.step) + "=" +
                        std::to_string(std::bit_cast<uint32_t>(e.value)));
  return out;
}

}  // namespace ratchet::testing
