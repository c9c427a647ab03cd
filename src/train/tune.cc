// Tuning sessions: the median pruner, the session file, the ranked tables and the best preset.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>
#include <yaml-cpp/yaml.h>

#include "core/file.h"
#include "ratchet/core.h"
#include "ratchet/tune.h"
#include "train/yaml_util.h"

namespace ratchet {

namespace {

// Mean of the first n values.
double MeanOfFirst(const std::vector<double>& v, size_t n) {
  return std::accumulate(v.begin(), v.begin() + static_cast<ptrdiff_t>(n), 0.0) / static_cast<double>(n);
}

// Trials best first: complete ones by score, then pruned ones by score, then failed ones; ties by
// number.
std::vector<const TuneTrial*> Ranked(const std::vector<TuneTrial>& trials) {
  std::vector<const TuneTrial*> out;
  for (const TuneTrial& t : trials) out.push_back(&t);
  auto rank = [](const TuneTrial* t) { return t->state == TuneTrial::State::kComplete ? 0 : t->state == TuneTrial::State::kPruned ? 1 : 2; };
  std::stable_sort(out.begin(), out.end(), [&](const TuneTrial* a, const TuneTrial* b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    const double sa = std::isnan(a->score) ? -INFINITY : a->score, sb = std::isnan(b->score) ? -INFINITY : b->score;
    if (sa != sb) return sa > sb;
    return a->number < b->number;
  });
  return out;
}

std::string Number(double v) { return std::isnan(v) ? "" : fmt::format("{:.9g}", v); }

}  // namespace

const char* StateName(TuneTrial::State s) {
  switch (s) {
    case TuneTrial::State::kComplete: return "complete";
    case TuneTrial::State::kPruned: return "pruned";
    case TuneTrial::State::kFailed: return "failed";
  }
  return "?";
}

bool ShouldPrune(const std::vector<TuneTrial>& finished, size_t index, double value, int min_trials) {
  std::vector<double> peers;
  for (const TuneTrial& t : finished)
    if (t.state == TuneTrial::State::kComplete && t.curve.size() > index) peers.push_back(MeanOfFirst(t.curve, index + 1));
  if (static_cast<int>(peers.size()) < std::max(min_trials, 1)) return false;
  std::sort(peers.begin(), peers.end());
  const size_t m = peers.size();
  const double median = m % 2 == 1 ? peers[m / 2] : 0.5 * (peers[m / 2 - 1] + peers[m / 2]);
  return value < median;
}

std::string TrialsYaml(const SearchSpace& space, const std::vector<TuneTrial>& trials) {
  YAML::Emitter out;
  out << YAML::BeginSeq;
  for (const TuneTrial& t : trials) {
    out << YAML::BeginMap << YAML::Key << "number" << YAML::Value << t.number;
    out << YAML::Key << "state" << YAML::Value << StateName(t.state);
    out << YAML::Key << "score" << YAML::Value << Number(t.score);
    out << YAML::Key << "values" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (size_t i = 0; i < space.params.size(); ++i) out << fmt::format("{:.17g}", t.assignment.numbers.at(i));
    out << YAML::EndSeq;
    out << YAML::Key << "sets" << YAML::Value << YAML::Flow << t.sets;
    out << YAML::Key << "curve" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (double v : t.curve) out << fmt::format("{:.17g}", v);
    out << YAML::EndSeq;
    out << YAML::Key << "note" << YAML::Value << t.note << YAML::EndMap;
  }
  out << YAML::EndSeq;
  return std::string(out.c_str()) + "\n";
}

std::vector<TuneTrial> ParseTrials(const std::string& yaml, const SearchSpace& space, const std::string& source) {
  const YAML::Node root = LoadYaml(yaml, source);
  if (!root.IsSequence()) throw Error(fmt::format("{}: expected a list of trials", source));
  std::vector<TuneTrial> out;
  try {
    for (const YAML::Node& n : root) {
      TuneTrial t;
      t.number = n["number"].as<int>();
      const std::string state = n["state"].as<std::string>();
      if (state == "complete") t.state = TuneTrial::State::kComplete;
      else if (state == "pruned") t.state = TuneTrial::State::kPruned;
      else if (state == "failed") t.state = TuneTrial::State::kFailed;
      else throw Error(fmt::format("{}: trial {} has an unknown state '{}'", source, t.number, state));
      if (t.number < 0 || std::any_of(out.begin(), out.end(), [&](const TuneTrial& o) { return o.number == t.number; }))
        throw Error(fmt::format("{}: trial number {} is {}", source, t.number, t.number < 0 ? "negative" : "repeated"));
      const std::string score = n["score"].as<std::string>();
      t.score = score.empty() ? NAN : std::stod(score);
      if (!score.empty() && !std::isfinite(t.score))
        throw Error(fmt::format("{}: trial {} has a score that is not finite ({})", source, t.number, score));
      for (const YAML::Node& v : n["values"]) t.assignment.numbers.push_back(v.as<double>());
      if (t.assignment.numbers.size() != space.params.size())
        throw Error(fmt::format("{}: trial {} has {} values for a space of {} keys (another search space?)", source,
                                t.number, t.assignment.numbers.size(), space.params.size()));
      for (size_t i = 0; i < space.params.size(); ++i) {
        const SearchParam& p = space.params[i];
        const double v = t.assignment.numbers[i];
        const bool ok = p.kind == SearchParam::Kind::kCategorical
                            ? v >= 0 && v < static_cast<double>(p.choices.size()) && v == std::floor(v)
                            : std::isfinite(v) && v >= p.low && v <= p.high;
        if (!ok) throw Error(fmt::format("{}: trial {} has a value {} for {} outside its range", source, t.number, v, p.name));
      }
      for (const YAML::Node& v : n["sets"]) t.sets.push_back(v.as<std::string>());
      // the proposal's own settings close the list, one per key of the space, in its order
      const size_t first = t.sets.size() >= space.params.size() ? t.sets.size() - space.params.size() : 0;
      for (size_t i = 0; i < space.params.size(); ++i)
        if (first + i >= t.sets.size() || !t.sets[first + i].starts_with(space.params[i].name + "="))
          throw Error(fmt::format("{}: trial {} does not end its sets with {}=... (edited?)", source, t.number,
                                  space.params[i].name));
      for (const YAML::Node& v : n["curve"]) t.curve.push_back(v.as<double>());
      t.note = n["note"] ? n["note"].as<std::string>() : "";
      out.push_back(std::move(t));
    }
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}: malformed trial record: {}", source, e.what()));
  } catch (const std::invalid_argument&) {
    throw Error(fmt::format("{}: a score that is not a number", source));
  } catch (const std::out_of_range&) {
    throw Error(fmt::format("{}: a score beyond the range of a double", source));
  }
  return out;
}

std::string TrialsMarkdown(const SearchSpace& space, const std::vector<TuneTrial>& trials) {
  std::string s = "| rank | trial | state | score |";
  std::string rule = "|---|---|---|---|";
  for (const SearchParam& p : space.params) {
    s += " " + p.name + " |";
    rule += "---|";
  }
  s += "\n" + rule + "\n";
  int rank = 0;
  for (const TuneTrial* t : Ranked(trials)) {
    s += fmt::format("| {} | {} | {} | {} |", ++rank, t->number, StateName(t->state),
                     std::isnan(t->score) ? "-" : fmt::format("{:.2f}", t->score));
    for (size_t i = 0; i < space.params.size(); ++i) s += " " + t->assignment.Text(space, i) + " |";
    s += "\n";
  }
  return s;
}

std::string TrialsCsv(const SearchSpace& space, const std::vector<TuneTrial>& trials) {
  std::string s = "rank,trial,state,score";
  for (const SearchParam& p : space.params) s += "," + p.name;
  s += ",evaluations\n";
  int rank = 0;
  for (const TuneTrial* t : Ranked(trials)) {
    s += fmt::format("{},{},{},{}", ++rank, t->number, StateName(t->state), Number(t->score));
    for (size_t i = 0; i < space.params.size(); ++i) s += "," + t->assignment.Text(space, i);
    s += fmt::format(",{}\n", t->curve.size());
  }
  return s;
}

std::string PresetEntry(const std::string& env_id, const TuneTrial& trial,
                        const std::vector<std::pair<std::string, std::string>>& settings) {
  std::string s = fmt::format("# ratchet tune: trial {}, score {:.2f}\n{}:\n", trial.number, trial.score, env_id);
  for (const auto& [key, value] : settings)
    s += fmt::format("  {}: {}\n", key,
                     value.find(',') != std::string::npos && !value.starts_with("[") ? "[" + value + "]" : value);
  return s;
}

const TuneTrial* BestTrial(const std::vector<TuneTrial>& trials) {
  const std::vector<const TuneTrial*> ranked = Ranked(trials);
  return !ranked.empty() && ranked[0]->state == TuneTrial::State::kComplete ? ranked[0] : nullptr;
}

void WriteTuneFiles(const std::filesystem::path& dir, const SearchSpace& space, const std::vector<TuneTrial>& trials,
                    const std::optional<std::string>& best_entry) {
  WriteFileAtomically(dir / "trials.yaml", TrialsYaml(space, trials), "tuning session");
  WriteFileAtomically(dir / "trials.md", TrialsMarkdown(space, trials), "tuning table");
  WriteFileAtomically(dir / "trials.csv", TrialsCsv(space, trials), "tuning table");
  if (best_entry) WriteFileAtomically(dir / "best.yaml", *best_entry, "best preset");
}

}  // namespace ratchet
