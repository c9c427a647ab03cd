#include "ratchet/config.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "ratchet/core.h"
#include "train/yaml_util.h"

namespace ratchet {

bool ParseInt64(const std::string& text, int64_t* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || end != text.c_str() + text.size()) return false;
  *out = v;
  return true;
}

bool ParseFinite(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

namespace {

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

[[noreturn]] void BadValue(const std::string& key, const std::string& value,
                           const std::string& expected) {
  throw Error(fmt::format("config key '{}': expected {}, got '{}'", key, expected, value));
}

}  // namespace

void ConfigBinder::AddField(Field f) {
  RATCHET_CHECK(!Has(f.key), "config key registered twice: " + f.key);
  fields_.push_back(std::move(f));
}

void ConfigBinder::Add(const std::string& key, int* field, const std::string& doc) {
  AddField({key, doc,
            [=](const std::string& v) {
              int64_t x;
              if (!ParseInt64(v, &x) || x < INT32_MIN || x > INT32_MAX) BadValue(key, v, "an integer");
              *field = static_cast<int>(x);
            },
            [=] { return std::to_string(*field); }});
}

void ConfigBinder::Add(const std::string& key, int64_t* field, const std::string& doc) {
  AddField({key, doc,
            [=](const std::string& v) {
              int64_t x;
              double d;
              // accept 1e5-style integers too, as RL-Zoo presets write them
              if (ParseInt64(v, &x)) {
                *field = x;
              } else if (ParseFinite(v, &d) && d == std::floor(d) && std::fabs(d) < 9e18) {
                *field = static_cast<int64_t>(d);
              } else {
                BadValue(key, v, "an integer");
              }
            },
            [=] { return std::to_string(*field); }});
}

void ConfigBinder::Add(const std::string& key, double* field, const std::string& doc) {
  AddField({key, doc,
            [=](const std::string& v) {
              if (!ParseFinite(v, field)) BadValue(key, v, "a number");
            },
            [=] { return fmt::format("{}", *field); }});
}

void ConfigBinder::Add(const std::string& key, bool* field, const std::string& doc) {
  AddField({key, doc,
            [=](const std::string& v) {
              if (v == "true" || v == "True" || v == "1") {
                *field = true;
              } else if (v == "false" || v == "False" || v == "0") {
                *field = false;
              } else {
                BadValue(key, v, "true or false");
              }
            },
            [=] { return std::string(*field ? "true" : "false"); }});
}

void ConfigBinder::Add(const std::string& key, std::string* field, const std::string& doc) {
  // an empty string is written "" so that YAML reads it back empty, not as null
  AddField({key, doc, [=](const std::string& v) { *field = v; },
            [=] { return field->empty() ? std::string("\"\"") : *field; }});
}

void ConfigBinder::Add(const std::string& key, Schedule* field, const std::string& doc) {
  AddField({key, doc,
            [=](const std::string& v) { *field = Schedule::Parse(v, "config key '" + key + "'"); },
            [=] { return field->ToString(); }});
}

void ConfigBinder::Add(const std::string& key, std::optional<double>* field,
                       const std::string& doc) {
  AddField({key, doc,
            [=](const std::string& v) {
              double d;
              if (v == "null" || v == "none" || v == "None" || v == "~") {
                field->reset();
              } else if (ParseFinite(v, &d)) {
                *field = d;
              } else {
                BadValue(key, v, "a number or null");
              }
            },
            [=] { return field->has_value() ? fmt::format("{}", **field) : std::string("null"); }});
}

void ConfigBinder::Add(const std::string& key, std::vector<int>* field, const std::string& doc) {
  AddField({key, doc,
            [=](const std::string& v) {
              std::string s = Trim(v);
              if (!s.empty() && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
              std::vector<int> out;
              size_t pos = 0;
              while (!Trim(s).empty()) {
                const size_t comma = s.find(',', pos);
                const std::string item = Trim(s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
                int64_t x;
                if (!ParseInt64(item, &x) || x <= 0 || x > 1 << 20)
                  BadValue(key, v, "a list of positive integers such as [64,64]");
                out.push_back(static_cast<int>(x));
                if (comma == std::string::npos) break;
                pos = comma + 1;
              }
              *field = out;
            },
            [=] {
              std::string s = "[";
              for (size_t i = 0; i < field->size(); ++i) s += (i ? ", " : "") + std::to_string((*field)[i]);
              return s + "]";
            }});
}

void ConfigBinder::Add(const std::string& key, Activation* field, const std::string& doc) {
  AddField({key, doc,
            [=](const std::string& v) {
              if (v != "tanh" && v != "relu") BadValue(key, v, "tanh or relu");
              *field = ParseActivation(v);
            },
            [=] { return ActivationName(*field); }});
}

bool ConfigBinder::Has(const std::string& key) const {
  for (const Field& f : fields_)
    if (f.key == key) return true;
  return false;
}

void ConfigBinder::Set(const std::string& key, const std::string& value, const std::string& where) {
  for (const Field& f : fields_) {
    if (f.key != key) continue;
    try {
      f.set(Trim(value));
    } catch (const Error& e) {
      throw Error(fmt::format("{} (from {})", e.what(), where));
    }
    return;
  }
  std::string known;
  for (const Field& f : fields_) known += (known.empty() ? "" : ", ") + f.key;
  throw Error(fmt::format("unknown config key '{}' (from {}); known keys: {}", key, where, known));
}

std::vector<std::pair<std::string, std::string>> ConfigBinder::Dump() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Field& f : fields_) out.emplace_back(f.key, f.get());
  return out;
}

std::vector<std::string> ConfigBinder::Keys() const {
  std::vector<std::string> out;
  for (const Field& f : fields_) out.push_back(f.key);
  return out;
}

const std::string& ConfigBinder::Doc(const std::string& key) const {
  for (const Field& f : fields_)
    if (f.key == key) return f.doc;
  throw Error("unknown config key '" + key + "'");
}

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

std::pair<std::string, std::string> ParseAssignment(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || Trim(text.substr(0, eq)).empty())
    throw Error(fmt::format("--set expects key=value, got '{}'", text));
  return {Trim(text.substr(0, eq)), Trim(text.substr(eq + 1))};
}

}  // namespace ratchet
