// Presets: configs/<algo>.yaml entries per environment id, read with yaml-cpp.
#include <fmt/format.h>
#include <map>
#include <yaml-cpp/yaml.h>

#include "ratchet/train.h"
#include "train/yaml_util.h"

namespace ratchet {

YAML::Node LoadYaml(const std::string& text, const std::string& source) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}: malformed YAML at line {}: {}", source, e.mark.line + 1, e.msg));
  }
}

std::vector<std::pair<std::string, YAML::Node>> MapEntries(const YAML::Node& node, const std::string& source,
                                                           const std::string& what) {
  if (!node.IsMap()) throw Error(fmt::format("{}: {} must be a mapping of key: value", source, what));
  std::vector<std::pair<std::string, YAML::Node>> out;
  std::map<std::string, int> line_of;
  for (const auto& kv : node) {
    const int line = kv.first.Mark().line + 1;
    if (!kv.first.IsScalar()) throw Error(fmt::format("{}: line {}: a key of {} is not a plain name", source, line, what));
    const std::string key = kv.first.Scalar();
    if (const auto it = line_of.find(key); it != line_of.end())
      throw Error(fmt::format("{}: key '{}' appears twice in {} (lines {} and {})", source, key, what, it->second, line));
    line_of[key] = line;
    out.emplace_back(key, kv.second);
  }
  return out;
}

std::string YamlScalar(const YAML::Node& value, const std::string& source, const std::string& key) {
  if (!value.IsScalar())
    throw Error(fmt::format("{}: key '{}' must be a single value (a name or a number)", source, key));
  return value.Scalar();
}

namespace {

// "Hopper-v5" -> {"Hopper", 5}; an id without a version -> {id, -1}.
std::pair<std::string, int> SplitVersion(const std::string& id) {
  const size_t v = id.rfind("-v");
  if (v == std::string::npos || v + 2 == id.size() || id.size() - v > 6) return {id, -1};
  for (size_t i = v + 2; i < id.size(); ++i)
    if (id[i] < '0' || id[i] > '9') return {id, -1};
  return {id.substr(0, v), std::stoi(id.substr(v + 2))};
}

std::string ChooseEntry(const std::vector<std::pair<std::string, YAML::Node>>& entries, const std::string& env_id) {
  for (const auto& [id, node] : entries)
    if (id == env_id) return id;
  const auto [task, version] = SplitVersion(env_id);
  std::string below, above;
  int below_v = -1, above_v = 0;
  if (version >= 0) {
    for (const auto& [id, node] : entries) {
      const auto [t, v] = SplitVersion(id);
      if (t != task || v < 0) continue;
      if (v < version && v > below_v) below = id, below_v = v;
      if (v > version && (above.empty() || v < above_v)) above = id, above_v = v;
    }
  }
  if (!below.empty()) return below;
  if (!above.empty()) return above;
  for (const auto& [id, node] : entries)
    if (id == "default") return id;
  return "";
}

}  // namespace

std::string PresetEntryFor(const std::string& yaml_text, const std::string& env_id, const std::string& source) {
  const YAML::Node root = LoadYaml(yaml_text, source);
  if (!root || root.IsNull()) return "";
  return ChooseEntry(MapEntries(root, source, "a preset file (environment ids to settings)"), env_id);
}

std::vector<std::pair<std::string, std::string>> PresetFor(const std::string& yaml_text,
                                                           const std::string& env_id,
                                                           const std::string& source) {
  const YAML::Node root = LoadYaml(yaml_text, source);
  if (!root || root.IsNull()) return {};
  const auto entries = MapEntries(root, source, "a preset file (environment ids to settings)");
  const std::string chosen = ChooseEntry(entries, env_id);
  const YAML::Node* section = nullptr;
  for (const auto& [id, node] : entries)
    if (id == chosen) section = &node;
  if (section == nullptr || section->IsNull()) return {};
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, value] : MapEntries(*section, source, fmt::format("the entry for '{}'", chosen)))
    out.emplace_back(key, YamlValueText(value, source, key));
  return out;
}

std::string YamlValueText(const YAML::Node& value, const std::string& source, const std::string& key) {
  if (value.IsScalar()) return value.Scalar();
  if (value.IsNull()) return "null";
  if (value.IsSequence()) {
    std::string text;
    for (const auto& item : value) {
      if (!item.IsScalar()) throw Error(fmt::format("{}: key '{}' must be a flat list", source, key));
      text += (text.empty() ? "" : ",") + item.Scalar();
    }
    return text;
  }
  if (value.IsMap()) {  // env_kwargs: {key: value, ...}, each value a scalar or a flat list
    EnvKwargs kw;
    for (const auto& item : value) {
      const YAML::Node& v = item.second;
      std::string text;
      if (v.IsScalar()) {
        text = v.Scalar();
      } else if (v.IsSequence()) {
        for (const auto& x : v) {
          if (!x.IsScalar()) throw Error(fmt::format("{}: key '{}' holds a nested list", source, key));
          text += (text.empty() ? "[" : ", ") + x.Scalar();
        }
        text += text.empty() ? "[]" : "]";
      } else {
        throw Error(fmt::format("{}: key '{}' must map names to values or flat lists", source, key));
      }
      if (!item.first.IsScalar()) throw Error(fmt::format("{}: key '{}' holds a name that is not a scalar", source, key));
      kw[item.first.Scalar()] = text;
    }
    return FormatEnvKwargs(kw);
  }
  throw Error(fmt::format("{}: key '{}' must be a scalar, a list or (env_kwargs) a mapping", source, key));
}

}  // namespace ratchet
