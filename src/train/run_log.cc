#include "train/run_log.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <unistd.h>

#include "core/file.h"

namespace ratchet {

namespace {

// Columns written as integers.
bool IsCount(const std::string& c) {
  return c == "update" || c == "steps" || c == "episodes" || c == "epochs";
}

std::string Format(const std::string& col, double v) {
  if (std::isnan(v)) return "";
  if (IsCount(col)) return fmt::format("{}", static_cast<int64_t>(v));
  if (col == "wall_time") return fmt::format("{:.3f}", v);
  return fmt::format("{:.9g}", v);
}

// TensorBoard tag of a progress column, grouped as Stable-Baselines3 groups its logs.
std::string Tag(const std::string& col) {
  if (col == "episodes" || col.starts_with("ep_")) return "rollout/" + col;
  if (col == "update" || col == "wall_time") return "time/" + col;
  if (col.starts_with("eval_")) return "eval/" + col.substr(5);
  return "train/" + col;
}

double UnixTime() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Keeps the header and the first `rows` lines after it (header_lines = 1 for CSV, 0 for JSONL).
void KeepLines(const std::filesystem::path& path, int lines) {
  std::ifstream in(path);
  if (!in) throw Error(fmt::format("cannot read '{}'", path.string()));
  std::string kept, line;
  for (int k = 0; k < lines && std::getline(in, line); ++k) kept += line + "\n";
  in.close();
  WriteFileAtomically(path, kept, "log");
}

// "a,b,,c" -> {"a", "b", "", "c"}; a trailing comma ends with an empty cell.
std::vector<std::string> Cells(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    out.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

}  // namespace

std::optional<size_t> ProgressTable::Find(const std::string& name) const {
  const auto it = std::find(columns.begin(), columns.end(), name);
  if (it == columns.end()) return std::nullopt;
  return static_cast<size_t>(it - columns.begin());
}

std::vector<double> ProgressTable::Column(const std::string& name) const {
  const std::optional<size_t> c = Find(name);
  if (!c) throw Error(fmt::format("'{}' has no {} column", path.string(), name));
  std::vector<double> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(row[*c]);
  return out;
}

ProgressTable ReadProgress(const std::filesystem::path& csv, bool strict) {
  ProgressTable t;
  t.path = csv;
  std::ifstream in(csv);
  if (!in) {
    if (strict) throw Error(fmt::format("cannot read '{}'", csv.string()));
    return t;
  }
  std::string line;
  if (!std::getline(in, line)) return t;
  t.columns = Cells(line);
  for (int row = 2; std::getline(in, line); ++row) {
    if (!strict && in.eof()) break;  // a row still being written (no newline yet)
    const std::vector<std::string> cells = Cells(line);
    std::vector<double> values(cells.size(), NAN);
    bool ok = cells.size() == t.columns.size();
    if (!ok && strict)
      throw Error(fmt::format("'{}' line {} has {} cells, expected {}", csv.string(), row, cells.size(),
                              t.columns.size()));
    for (size_t c = 0; ok && c < cells.size(); ++c) {
      if (cells[c].empty()) continue;
      size_t used = 0;
      try {
        values[c] = std::stod(cells[c], &used);
      } catch (const std::exception&) {
        used = 0;
      }
      ok = used == cells[c].size();
    }
    if (!ok) {
      if (strict) throw Error(fmt::format("'{}' line {} holds a value that is not a number", csv.string(), row));
      break;
    }
    t.rows.push_back(std::move(values));
  }
  return t;
}

RunLog::RunLog(const std::filesystem::path& run_dir, bool fresh, int rows, int64_t steps) : dir_(run_dir) {
  const auto csv_path = run_dir / "progress.csv", jsonl_path = run_dir / "progress.jsonl";
  std::filesystem::path events = FindEventFile(run_dir);
  if (fresh) {
    std::string header;
    for (size_t c = 0; c < ProgressColumns().size(); ++c) header += (c ? "," : "") + ProgressColumns()[c];
    WriteFileAtomically(csv_path, header + "\n", "log");
    WriteFileAtomically(jsonl_path, std::string_view(), "log");
    if (!events.empty()) std::filesystem::remove(events);
    char host[256] = "localhost";
    gethostname(host, sizeof(host) - 1);
    events = run_dir / fmt::format("events.out.tfevents.{}.{}", static_cast<int64_t>(UnixTime()), host);
  } else {
    KeepLines(csv_path, rows + 1);
    if (std::filesystem::exists(jsonl_path)) KeepLines(jsonl_path, rows);
    if (events.empty()) {
      events = run_dir / fmt::format("events.out.tfevents.{}.ratchet", static_cast<int64_t>(UnixTime()));
    } else {
      TruncateEventFile(events, steps);
    }
  }
  csv_.open(csv_path, std::ios::app);
  jsonl_.open(jsonl_path, std::ios::app);
  if (!csv_ || !jsonl_) throw Error(fmt::format("cannot write the logs in '{}'", run_dir.string()));
  events_ = std::make_unique<EventWriter>(events);
  for (const std::string& c : ProgressColumns()) tags_.push_back(Tag(c));
}

void RunLog::Append(std::span<const double> row) {
  const auto& cols = ProgressColumns();
  RATCHET_CHECK(row.size() == cols.size(), "progress row has the wrong number of values");
  std::string csv, json = "{";
  std::vector<std::string> tags;
  std::vector<float> values;
  int64_t step = 0;
  for (size_t c = 0; c < cols.size(); ++c) {
    const std::string text = Format(cols[c], row[c]);
    csv += (c ? "," : "") + text;
    json += fmt::format("{}\"{}\":{}", c ? "," : "", cols[c], text.empty() ? "null" : text);
    if (cols[c] == "steps") {
      step = static_cast<int64_t>(row[c]);
    } else if (!std::isnan(row[c])) {
      tags.push_back(tags_[c]);
      values.push_back(static_cast<float>(row[c]));
    }
  }
  csv_ << csv << "\n";
  jsonl_ << json << "}\n";
  csv_.flush();
  jsonl_.flush();
  if (!csv_ || !jsonl_) throw Error(fmt::format("cannot write the logs in '{}'", dir_.string()));
  events_->Scalars(step, UnixTime(), tags, values);
  events_->Flush();
}

void RunLog::Eval(int64_t steps, const EvalResult& r, uint64_t seed, const EvalResult* stochastic) {
  std::vector<std::string> tags = {"eval/return_mean", "eval/return_std"};
  std::vector<float> values = {static_cast<float>(r.mean), static_cast<float>(r.std)};
  if (stochastic != nullptr) {
    tags.insert(tags.end(), {"eval/stochastic_return_mean", "eval/stochastic_return_std"});
    values.insert(values.end(), {static_cast<float>(stochastic->mean), static_cast<float>(stochastic->std)});
  }
  events_->Scalars(steps, UnixTime(), tags, values);
  events_->Flush();
  auto list = [](const std::vector<double>& v) {
    std::string out;
    for (size_t k = 0; k < v.size(); ++k) out += fmt::format("{}{:.9g}", k ? "," : "", v[k]);
    return out;
  };
  std::string json = fmt::format(
      "{{\"steps\":{},\"episodes\":{},\"seed\":{},\"deterministic\":true,\"mean\":{:.9g},\"std\":{:.9g},"
      "\"returns\":[{}]",
      steps, r.returns.size(), seed, r.mean, r.std, list(r.returns));
  if (stochastic != nullptr)
    json += fmt::format(",\"stochastic_mean\":{:.9g},\"stochastic_std\":{:.9g},\"stochastic_returns\":[{}]",
                        stochastic->mean, stochastic->std, list(stochastic->returns));
  WriteFileAtomically(dir_ / "eval.json", json + "}\n", "evaluation result");
}

}  // namespace ratchet
