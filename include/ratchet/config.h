// Ratchet configuration (core): typed config structs expose their fields to one binder, which
// sets them from preset YAML and --set key=value strings, writes them back out, and checks them.
// Each hyperparameter is declared once: its field (with its default) in the struct, and one Add
// line giving its key, a one-line doc, its check and its traits (what it changes); everything
// that lists settings (resume's check, sweep and tune, `ratchet config --reference`, the Python
// docstrings) reads them from the binder. An unknown key, a malformed value or a failed check is
// an Error naming the key and what was expected.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ratchet/core.h"

namespace ratchet {

// Throws Error "config key 'KEY': expected EXPECTED, got 'VALUE'".
[[noreturn]] void ConfigBadValue(const std::string& key, const std::string& value, const std::string& expected);

// How a value of type T reads from and prints to its text form. Core covers the scalar types;
// a layer above specialises it for its own (nn: Schedule, Activation).
//   static void Parse(const std::string& key, const std::string& text, T* out);  // throws Error
//   static std::string Format(const T& v);
template <typename T>
struct ConfigValue;

#define RATCHET_CONFIG_VALUE(T)                                                  \
  template <>                                                                    \
  struct ConfigValue<T> {                                                        \
    static void Parse(const std::string& key, const std::string& text, T* out); \
    static std::string Format(const T& v);                                       \
  }
RATCHET_CONFIG_VALUE(int);
RATCHET_CONFIG_VALUE(int64_t);
RATCHET_CONFIG_VALUE(double);
RATCHET_CONFIG_VALUE(bool);
RATCHET_CONFIG_VALUE(std::string);
RATCHET_CONFIG_VALUE(std::optional<double>);
RATCHET_CONFIG_VALUE(std::vector<int>);

// A check on one value: "" when it holds, else what is required ("at least 1", "in (0, 1]").
template <typename T>
using ConfigCheck = std::function<std::string(const T&)>;

template <typename T>
ConfigCheck<T> AtLeast(T lo) {
  return [lo](const T& v) { return v >= lo ? std::string() : "at least " + ConfigValue<T>::Format(lo); };
}
template <typename T>
ConfigCheck<T> InRange(T lo, T hi) {
  return [lo, hi](const T& v) {
    return v >= lo && v <= hi ? std::string()
                              : "in [" + ConfigValue<T>::Format(lo) + ", " + ConfigValue<T>::Format(hi) + "]";
  };
}
inline ConfigCheck<double> Positive() {
  return [](const double& v) { return v > 0 ? std::string() : std::string("positive"); };
}
inline ConfigCheck<double> NonNegative() {
  return [](const double& v) { return v >= 0 ? std::string() : std::string("non-negative"); };
}
// An interval of doubles; `ends` is "[]", "[)", "(]" or "()", as the interval is written.
ConfigCheck<double> InInterval(double lo, double hi, const char* ends);
inline ConfigCheck<std::optional<double>> PositiveOrNull() {
  return [](const std::optional<double>& v) {
    return !v || *v > 0 ? std::string() : std::string("positive or null");
  };
}

// What a setting changes. By default everything: the bits a run trains, the files it writes, and
// so a resume must keep it.
struct SettingTraits {
  bool changes_training = true;  // false: runs that differ only here train the same bits
  bool changes_outputs = true;   // false: ... and write the same results (model, evaluation)
  bool resume_editable = false;  // a resume may change it
  bool replicate = false;        // runs that differ only here repeat one experiment (the seed)
  // Whether two runs that differ here belong to different experiments (sweep groups, tuned
  // presets): what changes training, the seed aside.
  bool defines_experiment() const { return changes_training && !replicate; }
};
// How a run is executed, not what it computes: threads, checkpoints, stop_at, eval_every.
inline constexpr SettingTraits kIncidental{.changes_training = false, .changes_outputs = false, .resume_editable = true};
// What a run reports, not what it trains: eval_episodes, label.
inline constexpr SettingTraits kReporting{.changes_training = false, .changes_outputs = true, .resume_editable = true};
// The seed: changes everything, and its runs are repeats of one experiment.
inline constexpr SettingTraits kReplicate{.replicate = true};
// The run's length: changes the result, and a resume may extend it (n_timesteps).
inline constexpr SettingTraits kBudget{.changes_training = true, .changes_outputs = true, .resume_editable = true};

class ConfigBinder {
 public:
  template <typename T>
  void Add(const std::string& key, T* field, const std::string& doc, ConfigCheck<T> check = {},
           SettingTraits traits = {}) {
    Field f{key, doc, traits, [key, field](const std::string& v) { ConfigValue<T>::Parse(key, v, field); },
            [field] { return ConfigValue<T>::Format(*field); }, nullptr};
    if (check)
      f.check = [key, field, check]() -> std::string {
        const std::string need = check(*field);
        return need.empty() ? need
                            : key + " must be " + need + ", got " + ConfigValue<T>::Format(*field);
      };
    AddField(std::move(f));
  }

  bool Has(const std::string& key) const;
  // Sets `key` from its text form; `where` says where the value came from (for the message).
  void Set(const std::string& key, const std::string& value, const std::string& where);
  // Runs every field's check; throws Error for the first that fails.
  void Validate() const;
  // "key: value" lines in registration order, readable back by Set.
  std::vector<std::pair<std::string, std::string>> Dump() const;
  std::vector<std::string> Keys() const;
  // Throw Error for an unknown key.
  const std::string& Doc(const std::string& key) const;
  const SettingTraits& Traits(const std::string& key) const;

 private:
  struct Field {
    std::string key, doc;
    SettingTraits traits;
    std::function<void(const std::string&)> set;
    std::function<std::string()> get;
    std::function<std::string()> check;  // "" or the failure message; may be empty
  };
  void AddField(Field f);
  const Field& Find(const std::string& key) const;
  std::vector<Field> fields_;
};

// Splits "key=value"; throws Error on anything else.
std::pair<std::string, std::string> ParseAssignment(const std::string& text);

// Strict number parsing for user input: the whole string must be the number.
bool ParseInt64(const std::string& text, int64_t* out);
bool ParseFinite(const std::string& text, double* out);

}  // namespace ratchet
