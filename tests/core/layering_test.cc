// The house is one-way: apps -> viz -> train -> algo -> {nn, env} -> {core, draw, deploy}. Every
// #include of a Ratchet header in src/ and include/ratchet/ must point at its own layer or below.
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "test_util.h"

namespace {

// The layer of a header as written in an #include ("ratchet/env.h", "algo/ppo.h").
std::string LayerOfInclude(const std::string& inc) {
  static const std::map<std::string, std::string> public_headers = {
      {"core", "core"},   {"bytes", "core"},  {"comm", "core"},  {"config", "core"}, {"draw", "draw"},
      {"deploy", "deploy"}, {"nn", "nn"},     {"kfac", "nn"},     {"dist", "nn"},
      {"env", "env"},     {"policy", "algo"}, {"algo", "algo"},   {"train", "train"},
      {"log", "train"},   {"experiment", "train"}, {"tune", "train"}, {"viz", "viz"}, {"ratchet", "apps"}};
  const size_t slash = inc.find('/');
  const std::string dir = inc.substr(0, slash), stem = inc.substr(slash + 1, inc.rfind('.') - slash - 1);
  if (dir == "ratchet") {
    const auto it = public_headers.find(stem);
    return it == public_headers.end() ? "unknown:" + inc : it->second;
  }
  return dir;
}

TEST(LayeringTest, EveryIncludePointsDown) {
  // what each layer may include besides itself
  const std::map<std::string, std::set<std::string>> below = {
      {"core", {}},
      {"mpi", {"core"}},
      {"draw", {"core"}},
      {"deploy", {"core"}},
      {"nn", {"core"}},
      {"env", {"core", "draw"}},
      {"algo", {"core", "draw", "nn", "env"}},
      {"train", {"core", "draw", "deploy", "nn", "env", "algo"}},
      {"viz", {"core", "draw", "deploy", "nn", "env", "algo", "train"}}};
  const std::filesystem::path root = RATCHET_SOURCE_DIR;
  const std::regex include_re("^#include \"([a-z_]+/[a-z_]+\\.h)\"");
  int files = 0;
  std::vector<std::string> upward;
  auto scan = [&](const std::filesystem::path& file, const std::string& layer) {
    ++files;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      std::smatch m;
      if (!std::regex_search(line, m, include_re)) continue;
      const std::string target = LayerOfInclude(m[1]);
      if (target != layer && !below.at(layer).count(target))
        upward.push_back(file.lexically_relative(root).string() + " (" + layer + ") includes " + m[1].str() +
                         " (" + target + ")");
    }
  };
  for (const auto& [layer, _] : below) {
    if (!std::filesystem::exists(root / "src" / layer)) continue;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root / "src" / layer))
      if (e.path().extension() == ".cc" || e.path().extension() == ".h") scan(e.path(), layer);
  }
  for (const auto& e : std::filesystem::directory_iterator(root / "include" / "ratchet")) {
    const std::string layer = LayerOfInclude("ratchet/" + e.path().filename().string());
    if (layer != "apps") scan(e.path(), layer);
  }
  EXPECT_GT(files, 50);
  EXPECT_TRUE(upward.empty()) << ::testing::PrintToString(upward);
}

}  // namespace
