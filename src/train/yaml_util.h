// Internal: yaml-cpp helpers shared by preset and run-config reading. Every failure is an Error
// naming the file (`source`), the key and what was expected; a duplicate key is an error.
#pragma once

#include <string>
#include <utility>
#include <vector>
#include <yaml-cpp/yaml.h>

namespace ratchet {

// Parses text; throws Error "SOURCE: malformed YAML at line N: ...".
YAML::Node LoadYaml(const std::string& text, const std::string& source);
// The entries of a mapping in file order, keys as text. Throws Error when `node` is not a
// mapping (naming `what`), a key is not a plain value, or a key appears twice.
std::vector<std::pair<std::string, YAML::Node>> MapEntries(const YAML::Node& node, const std::string& source,
                                                           const std::string& what);
// A scalar as its text, a flat sequence as "a,b,c"; throws Error naming source and key otherwise.
std::string YamlValueText(const YAML::Node& value, const std::string& source, const std::string& key);
// A single value (not a list or a mapping) as text; throws Error naming source and key otherwise.
std::string YamlScalar(const YAML::Node& value, const std::string& source, const std::string& key);

}  // namespace ratchet
