// Internal: yaml-cpp helpers shared by preset and run-config reading.
#pragma once

#include <string>
#include <yaml-cpp/yaml.h>

namespace ratchet {

// A scalar as its text, a flat sequence as "a,b,c"; throws Error naming source and key otherwise.
std::string YamlValueText(const YAML::Node& value, const std::string& source, const std::string& key);

}  // namespace ratchet
