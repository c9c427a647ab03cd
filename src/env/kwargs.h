// Internal: how a built-in environment reads its keyword arguments (EnvKwargs). Each reader call
// names a key, its default and its type; Finish() refuses the keys nobody read, listing the ones
// the environment takes. Every error is one line naming the environment, the key and the value.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ratchet/env.h"

namespace ratchet {

// Gymnasium's reset bounds (utils.maybe_parse_reset_bounds): options low and high, each a finite
// number, low <= high, defaults for the missing ones; no other option.
std::pair<double, double> ReadResetBounds(const EnvKwargs& options, const std::string& env_id, double low, double high);

class KwargsReader {
 public:
  KwargsReader(const EnvKwargs& kwargs, std::string env_id) : kwargs_(kwargs), id_(std::move(env_id)) {}

  // A finite number.
  double Number(const char* key, double def);
  // An integer in [lo, hi].
  int Int(const char* key, int def, int lo, int hi);
  bool Bool(const char* key, bool def);
  // [low, high] with low <= high; either bound may be infinite.
  std::pair<double, double> Range(const char* key, std::pair<double, double> def);
  std::string Text(const char* key, const std::string& def);
  // An integer or a name (Ant's main_body: a body index or name).
  std::string IntOrName(const char* key, const std::string& def) { return Text(key, def); }
  const std::string& id() const { return id_; }
  // Throws Error for a key no call above asked for.
  void Finish() const;

 private:
  const std::string* Find(const char* key);
  [[noreturn]] void Bad(const char* key, const std::string& value, const char* want) const;

  const EnvKwargs& kwargs_;
  std::string id_;
  std::vector<std::string> known_;
};

}  // namespace ratchet
