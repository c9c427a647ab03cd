#include "env/kwargs.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

namespace ratchet {
namespace {

std::string Trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

// The whole of `s` as a double (inf allowed, NaN not); nullopt otherwise.
std::optional<double> ToDouble(const std::string& text) {
  const std::string s = Trim(text);
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || std::isnan(v) || (errno == ERANGE && std::isfinite(v) && v != 0)) return std::nullopt;
  return v;
}

// Splits "a, b, [c, d]" at the commas outside brackets and quotes.
std::vector<std::string> SplitTop(const std::string& s) {
  std::vector<std::string> parts;
  int depth = 0;
  char quote = 0;
  std::string cur;
  for (char c : s) {
    if (quote != 0) {
      cur += c;
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    if (c == '[' || c == '(' || c == '{') ++depth;
    if (c == ']' || c == ')' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(Trim(cur));
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (quote != 0 || depth != 0) throw Error("unbalanced quotes or brackets");
  if (!Trim(cur).empty() || !parts.empty()) parts.push_back(Trim(cur));
  return parts;
}

std::string Unquote(const std::string& s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) return s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

const std::string* KwargsReader::Find(const char* key) {
  known_.emplace_back(key);
  const auto it = kwargs_.find(key);
  return it == kwargs_.end() ? nullptr : &it->second;
}

void KwargsReader::Bad(const char* key, const std::string& value, const char* want) const {
  throw Error(fmt::format("{}: keyword argument {}={} is not {}", id_, key, value, want));
}

double KwargsReader::Number(const char* key, double def) {
  const std::string* v = Find(key);
  if (v == nullptr) return def;
  const auto d = ToDouble(*v);
  if (!d || !std::isfinite(*d)) Bad(key, *v, "a finite number");
  return *d;
}

int KwargsReader::Int(const char* key, int def, int lo, int hi) {
  const std::string* v = Find(key);
  if (v == nullptr) return def;
  const auto d = ToDouble(*v);
  if (!d || *d != std::floor(*d) || *d < lo || *d > hi) Bad(key, *v, fmt::format("an integer in [{}, {}]", lo, hi).c_str());
  return static_cast<int>(*d);
}

bool KwargsReader::Bool(const char* key, bool def) {
  const std::string* v = Find(key);
  if (v == nullptr) return def;
  const std::string s = Trim(*v);
  if (s == "true" || s == "True" || s == "1") return true;
  if (s == "false" || s == "False" || s == "0") return false;
  Bad(key, *v, "a boolean (true or false)");
}

std::pair<double, double> KwargsReader::Range(const char* key, std::pair<double, double> def) {
  const std::string* v = Find(key);
  if (v == nullptr) return def;
  const std::string s = Trim(*v);
  const char* want = "a pair [low, high] of numbers with low <= high";
  if (s.size() < 2 || !((s.front() == '[' && s.back() == ']') || (s.front() == '(' && s.back() == ')'))) Bad(key, *v, want);
  std::vector<std::string> parts;
  try {
    parts = SplitTop(s.substr(1, s.size() - 2));
  } catch (const Error&) {
    Bad(key, *v, want);
  }
  if (parts.size() != 2) Bad(key, *v, want);
  const auto a = ToDouble(parts[0]), b = ToDouble(parts[1]);
  if (!a || !b || *a > *b) Bad(key, *v, want);
  return {*a, *b};
}

std::string KwargsReader::Text(const char* key, const std::string& def) {
  const std::string* v = Find(key);
  if (v == nullptr) return def;
  if (v->empty()) Bad(key, *v, "a non-empty string");
  return *v;
}

void KwargsReader::Finish() const {
  for (const auto& [key, value] : kwargs_) {
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    if (known_.empty()) throw Error(fmt::format("{}: takes no keyword arguments, got {}={}", id_, key, value));
    std::string list;
    for (const std::string& k : known_) list += (list.empty() ? "" : ", ") + k;
    throw Error(fmt::format("{}: unknown keyword argument '{}'; it takes: {}", id_, key, list));
  }
}

std::pair<double, double> ReadResetBounds(const EnvKwargs& options, const std::string& env_id, double low, double high) {
  KwargsReader r(options, env_id + " reset options");
  const double lo = r.Number("low", low), hi = r.Number("high", high);
  r.Finish();
  if (lo > hi) throw Error(fmt::format("{}: reset option low ({}) must be <= high ({})", env_id, lo, hi));
  return {lo, hi};
}

std::string FormatEnvKwargs(const EnvKwargs& kwargs) {
  std::string out = "{";
  for (const auto& [k, v] : kwargs) {
    const bool list = v.size() >= 2 && v.front() == '[' && v.back() == ']' && v.find_first_of("\"'{}") == std::string::npos;
    const bool plain = !v.empty() && v.find_first_of(",[]{}\"'#") == std::string::npos && Trim(v) == v;
    std::string text = v;
    if (!list && !plain) {
      text = "\"";
      for (char c : v) text += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
      text += "\"";
    }
    out += (out.size() > 1 ? ", " : "") + k + ": " + text;
  }
  return out + "}";
}

EnvKwargs ParseEnvKwargs(const std::string& text) {
  const std::string s = Trim(text);
  EnvKwargs out;
  if (s.empty() || s == "{}") return out;
  const auto bad = [&](const std::string& why) {
    return Error(fmt::format("env_kwargs '{}' is not a map {{key: value, ...}}: {}", text, why));
  };
  if (s.front() != '{' || s.back() != '}') throw bad("it must be written in braces");
  std::vector<std::string> parts;
  try {
    parts = SplitTop(s.substr(1, s.size() - 2));
  } catch (const Error& e) {
    throw bad(e.what());
  }
  for (const std::string& part : parts) {
    const size_t colon = part.find(':');
    if (colon == std::string::npos) throw bad(fmt::format("'{}' has no ':'", part));
    const std::string key = Trim(part.substr(0, colon));
    std::string value = Trim(part.substr(colon + 1));
    if (key.empty()) throw bad("a key is empty");
    for (char c : key)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) throw bad(fmt::format("key '{}' is not a name", key));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      std::string un;
      for (size_t i = 1; i + 1 < value.size(); ++i) {
        if (value[i] == '\\' && i + 2 < value.size()) ++i;
        un += value[i];
      }
      value = un;
    } else {
      value = Unquote(value);
    }
    if (value.empty()) throw bad(fmt::format("key '{}' has no value", key));
    if (!out.emplace(key, value).second) throw bad(fmt::format("key '{}' appears twice", key));
  }
  return out;
}

}  // namespace ratchet
