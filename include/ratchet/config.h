// Ratchet configuration: typed config structs expose their fields to one binder, which sets them
// from preset YAML and --set key=value strings and writes them back out. Keys are checked: an
// unknown key or a malformed value is an Error naming the key and what was expected.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ratchet/nn.h"

namespace ratchet {

class ConfigBinder {
 public:
  void Add(const std::string& key, int* field, const std::string& doc);
  void Add(const std::string& key, int64_t* field, const std::string& doc);
  void Add(const std::string& key, double* field, const std::string& doc);
  void Add(const std::string& key, bool* field, const std::string& doc);
  void Add(const std::string& key, std::string* field, const std::string& doc);
  void Add(const std::string& key, Schedule* field, const std::string& doc);
  void Add(const std::string& key, std::optional<double>* field, const std::string& doc);
  void Add(const std::string& key, std::vector<int>* field, const std::string& doc);
  void Add(const std::string& key, Activation* field, const std::string& doc);

  bool Has(const std::string& key) const;
  // Sets `key` from its text form; `where` says where the value came from (for the message).
  void Set(const std::string& key, const std::string& value, const std::string& where);
  // "key: value" lines in registration order, readable back by Set.
  std::vector<std::pair<std::string, std::string>> Dump() const;
  std::vector<std::string> Keys() const;
  const std::string& Doc(const std::string& key) const;

 private:
  struct Field {
    std::string key, doc;
    std::function<void(const std::string&)> set;
    std::function<std::string()> get;
  };
  void AddField(Field f);
  std::vector<Field> fields_;
};

// A preset file holds one mapping per environment id plus an optional `default` mapping used
// for ids without their own. Returns the key/value pairs for env_id (empty if neither exists).
// Sequences are returned as "a,b,c". Throws Error for malformed YAML.
std::vector<std::pair<std::string, std::string>> PresetFor(const std::string& yaml_text,
                                                           const std::string& env_id,
                                                           const std::string& source);
// The presets compiled from configs/<algo>.yaml, keyed by algorithm name.
const std::map<std::string, std::string>& EmbeddedPresets();

// Splits "key=value"; throws Error on anything else.
std::pair<std::string, std::string> ParseAssignment(const std::string& text);

// Strict number parsing for user input: the whole string must be the number.
bool ParseInt64(const std::string& text, int64_t* out);
bool ParseFinite(const std::string& text, double* out);

}  // namespace ratchet
