// The house is one-way: apps -> viz -> train -> algo -> {nn, env} -> {core, draw, deploy}, and
// mpi -> core. Every #include in src/ and include/ratchet/, in any form ("..." or <...>, any
// spacing, nested paths), must point at its own layer or below. The build enforces the same at
// link time (one library per layer, CMakeLists.txt); this test names the offending line.
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "test_util.h"

namespace {

const std::filesystem::path kRoot = RATCHET_SOURCE_DIR;

// what each layer may include besides itself
const std::map<std::string, std::set<std::string>> kBelow = {
    {"core", {}},
    {"mpi", {"core"}},
    {"draw", {"core"}},
    {"deploy", {"core"}},
    {"nn", {"core"}},
    {"env", {"core", "draw"}},
    {"algo", {"core", "draw", "nn", "env"}},
    {"train", {"core", "draw", "deploy", "nn", "env", "algo"}},
    {"viz", {"core", "draw", "deploy", "nn", "env", "algo", "train"}}};

// The layer of a public header, by its stem (include/ratchet/<stem>.h).
const std::map<std::string, std::string> kPublicHeaders = {
    {"core", "core"},     {"bytes", "core"}, {"comm", "core"},  {"config", "core"},     {"draw", "draw"},
    {"deploy", "deploy"}, {"nn", "nn"},      {"kfac", "nn"},    {"dist", "nn"},         {"env", "env"},
    {"policy", "algo"},   {"algo", "algo"},  {"train", "train"}, {"log", "train"},      {"experiment", "train"},
    {"tune", "train"},    {"viz", "viz"},    {"ratchet", "apps"}};

// The layer an #include target belongs to: "" for a header outside Ratchet (the standard
// library, Eigen, MuJoCo, generated protobuf headers), "unknown:<path>" for a Ratchet path that
// names no known header. `dir` is the including file's directory (for includes beside it).
std::string LayerOfInclude(const std::string& inc, const std::filesystem::path& dir, const std::string& own_layer) {
  const size_t slash = inc.find('/');
  const std::string first = slash == std::string::npos ? "" : inc.substr(0, slash);
  if (first == "ratchet") {
    const std::filesystem::path p(inc);
    if (p.parent_path() != "ratchet" || p.extension() != ".h") return "unknown:" + inc;
    const auto it = kPublicHeaders.find(p.stem().string());
    return it == kPublicHeaders.end() ? "unknown:" + inc : it->second;
  }
  if (kBelow.count(first) || first == "apps") {
    if (!std::filesystem::exists(kRoot / "src" / inc)) return "unknown:" + inc;
    return first;
  }
  if (!dir.empty() && std::filesystem::exists(dir / inc)) {
    // beside the including file (or below it): the layer of wherever that is
    const std::filesystem::path rel = std::filesystem::weakly_canonical(dir / inc).lexically_relative(
        std::filesystem::weakly_canonical(kRoot / "src"));
    const std::string top = rel.begin() == rel.end() ? "" : rel.begin()->string();
    return kBelow.count(top) ? top : own_layer;
  }
  // a path that only the build's include directories could resolve to a Ratchet header
  if (std::filesystem::exists(kRoot / "include" / inc) || std::filesystem::exists(kRoot / "src" / inc))
    return "unknown:" + inc;
  return "";
}

// Every upward #include in `text`, a file of `layer` in directory `dir`, named `name` in messages.
std::vector<std::string> UpwardIncludes(const std::string& text, const std::string& layer,
                                        const std::filesystem::path& dir, const std::string& name,
                                        int* includes = nullptr) {
  static const std::regex include_re(R"(^\s*#\s*include\s*[<"]([^>"]+)[>"])");
  std::vector<std::string> upward;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, include_re)) continue;
    if (includes != nullptr) ++*includes;
    const std::string target = LayerOfInclude(m[1], dir, layer);
    if (target.empty() || target == layer || kBelow.at(layer).count(target)) continue;
    upward.push_back(name + " (" + layer + ") includes " + m[1].str() + " (" + target + ")");
  }
  return upward;
}

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(LayeringTest, EveryIncludeFormIsParsed) {
  const std::filesystem::path algo = kRoot / "src" / "algo";
  // each planted line points up and must be caught
  for (const std::string planted : {"#include <ratchet/train.h>", "#include \"ratchet/train.h\"",
                                    "  #  include   <train/checkpoint.h>", "#include \"train/checkpoint.h\"",
                                    "#include <ratchet/nonexistent.h>", "#include \"viz/nothing_here.h\""}) {
    EXPECT_EQ(UpwardIncludes(planted + "\n", "algo", algo, "planted").size(), 1u) << planted;
  }
  // nested paths resolve to their layer; headers beside the file are its own; outside headers pass
  EXPECT_TRUE(UpwardIncludes("#include \"env/mujoco/mujoco_sim.h\"\n", "algo", algo, "x").empty());
  EXPECT_EQ(UpwardIncludes("#include \"env/mujoco/mujoco_sim.h\"\n", "nn", kRoot / "src" / "nn", "x").size(), 1u);
  EXPECT_TRUE(UpwardIncludes("#include \"ppo.h\"\n#include <Eigen/Core>\n#include <mujoco/mujoco.h>\n", "algo", algo, "x")
                  .empty());
  EXPECT_EQ(UpwardIncludes("#include \"../train/checkpoint.h\"\n", "algo", algo, "x").size(), 1u);
}

TEST(LayeringTest, EveryIncludePointsDown) {
  int files = 0, includes = 0;
  std::vector<std::string> upward;
  auto scan = [&](const std::filesystem::path& file, const std::string& layer) {
    ++files;
    for (auto& u : UpwardIncludes(ReadAll(file), layer, file.parent_path(),
                                  file.lexically_relative(kRoot).string(), &includes))
      upward.push_back(std::move(u));
  };
  for (const auto& [layer, _] : kBelow) {
    if (!std::filesystem::exists(kRoot / "src" / layer)) continue;
    for (const auto& e : std::filesystem::recursive_directory_iterator(kRoot / "src" / layer))
      if (e.path().extension() == ".cc" || e.path().extension() == ".h") scan(e.path(), layer);
  }
  for (const auto& e : std::filesystem::directory_iterator(kRoot / "include" / "ratchet")) {
    const std::string layer = LayerOfInclude("ratchet/" + e.path().filename().string(), {}, "");
    ASSERT_FALSE(layer.starts_with("unknown:")) << e.path() << " is a public header with no layer in kPublicHeaders";
    if (layer != "apps") scan(e.path(), layer);
  }
  EXPECT_GT(files, 50);
  EXPECT_GT(includes, 500);
  EXPECT_TRUE(upward.empty()) << ::testing::PrintToString(upward);
}

}  // namespace
