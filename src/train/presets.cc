// Presets: configs/<algo>.yaml entries per environment id, read with yaml-cpp.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "ratchet/train.h"
#include "train/yaml_util.h"

namespace ratchet {

std::vector<std::pair<std::string, std::string>> PresetFor(const std::string& yaml_text,
                                                           const std::string& env_id,
                                                           const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}: malformed YAML at line {}: {}", source, e.mark.line + 1, e.msg));
  }
  if (!root || root.IsNull()) return {};
  if (!root.IsMap()) throw Error(source + ": a preset file must map environment ids to settings");
  YAML::Node section = root[env_id];
  if (!section) section = root["default"];
  if (!section || section.IsNull()) return {};
  if (!section.IsMap())
    throw Error(fmt::format("{}: the entry for '{}' must be a mapping of key: value", source, env_id));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : section) {
    const std::string key = kv.first.as<std::string>();
    out.emplace_back(key, YamlValueText(kv.second, source, key));
  }
  return out;
}

std::string YamlValueText(const YAML::Node& value, const std::string& source, const std::string& key) {
  if (value.IsScalar()) return value.as<std::string>();
  if (value.IsNull()) return "null";
  if (value.IsSequence()) {
    std::string text;
    for (const auto& item : value) {
      if (!item.IsScalar()) throw Error(fmt::format("{}: key '{}' must be a flat list", source, key));
      text += (text.empty() ? "" : ",") + item.as<std::string>();
    }
    return text;
  }
  throw Error(fmt::format("{}: key '{}' must be a scalar or a list", source, key));
}

}  // namespace ratchet
