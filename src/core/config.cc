// The config binder and the text forms of the core value types.
#include "ratchet/config.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

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

}  // namespace

void ConfigBadValue(const std::string& key, const std::string& value, const std::string& expected) {
  throw Error(fmt::format("config key '{}': expected {}, got '{}'", key, expected, value));
}

void ConfigValue<int>::Parse(const std::string& key, const std::string& v, int* out) {
  int64_t x;
  if (!ParseInt64(v, &x) || x < INT32_MIN || x > INT32_MAX) ConfigBadValue(key, v, "an integer");
  *out = static_cast<int>(x);
}
std::string ConfigValue<int>::Format(const int& v) { return std::to_string(v); }

void ConfigValue<int64_t>::Parse(const std::string& key, const std::string& v, int64_t* out) {
  int64_t x;
  double d;
  // accept 1e5-style integers too, as RL-Zoo presets write them
  if (ParseInt64(v, &x)) {
    *out = x;
  } else if (ParseFinite(v, &d) && d == std::floor(d) && std::fabs(d) < 9e18) {
    *out = static_cast<int64_t>(d);
  } else {
    ConfigBadValue(key, v, "an integer");
  }
}
std::string ConfigValue<int64_t>::Format(const int64_t& v) { return std::to_string(v); }

void ConfigValue<double>::Parse(const std::string& key, const std::string& v, double* out) {
  if (!ParseFinite(v, out)) ConfigBadValue(key, v, "a number");
}
std::string ConfigValue<double>::Format(const double& v) { return fmt::format("{}", v); }

void ConfigValue<bool>::Parse(const std::string& key, const std::string& v, bool* out) {
  if (v == "true" || v == "True" || v == "1") {
    *out = true;
  } else if (v == "false" || v == "False" || v == "0") {
    *out = false;
  } else {
    ConfigBadValue(key, v, "true or false");
  }
}
std::string ConfigValue<bool>::Format(const bool& v) { return v ? "true" : "false"; }

void ConfigValue<std::string>::Parse(const std::string&, const std::string& v, std::string* out) { *out = v; }
// an empty string is written "" so that YAML reads it back empty, not as null
std::string ConfigValue<std::string>::Format(const std::string& v) { return v.empty() ? "\"\"" : v; }

void ConfigValue<std::optional<double>>::Parse(const std::string& key, const std::string& v,
                                                std::optional<double>* out) {
  double d;
  if (v == "null" || v == "none" || v == "None" || v == "~") {
    out->reset();
  } else if (ParseFinite(v, &d)) {
    *out = d;
  } else {
    ConfigBadValue(key, v, "a number or null");
  }
}
std::string ConfigValue<std::optional<double>>::Format(const std::optional<double>& v) {
  return v.has_value() ? fmt::format("{}", *v) : std::string("null");
}

void ConfigValue<std::vector<int>>::Parse(const std::string& key, const std::string& v, std::vector<int>* out) {
  std::string s = Trim(v);
  if (!s.empty() && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  std::vector<int> items;
  size_t pos = 0;
  while (!Trim(s).empty()) {
    const size_t comma = s.find(',', pos);
    const std::string item = Trim(s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    int64_t x;
    if (!ParseInt64(item, &x) || x <= 0 || x > 1 << 20)
      ConfigBadValue(key, v, "a list of positive integers such as [64,64]");
    items.push_back(static_cast<int>(x));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  *out = items;
}
std::string ConfigValue<std::vector<int>>::Format(const std::vector<int>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

void ConfigBinder::AddField(Field f) {
  RATCHET_CHECK(!Has(f.key), "config key registered twice: " + f.key);
  fields_.push_back(std::move(f));
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

const ConfigBinder::Field& ConfigBinder::Find(const std::string& key) const {
  for (const Field& f : fields_)
    if (f.key == key) return f;
  throw Error("unknown config key '" + key + "'");
}

const std::string& ConfigBinder::Doc(const std::string& key) const { return Find(key).doc; }
const SettingTraits& ConfigBinder::Traits(const std::string& key) const { return Find(key).traits; }

ConfigCheck<double> InInterval(double lo, double hi, const char* ends) {
  const bool lo_open = ends[0] == '(', hi_open = ends[1] == ')';
  const std::string text = fmt::format("in {}{}, {}{}", ends[0], lo, hi, ends[1]);
  return [=](const double& v) {
    const bool ok = (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
    return ok ? std::string() : text;
  };
}

void ConfigBinder::Validate() const {
  for (const Field& f : fields_)
    if (f.check)
      if (const std::string why = f.check(); !why.empty()) throw Error(why);
}

std::pair<std::string, std::string> ParseAssignment(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || Trim(text.substr(0, eq)).empty())
    throw Error(fmt::format("--set expects key=value, got '{}'", text));
  return {Trim(text.substr(0, eq)), Trim(text.substr(eq + 1))};
}

}  // namespace ratchet
