// Search spaces, random search and TPE (see ratchet/tune.h).
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>
#include <yaml-cpp/yaml.h>

#include "ratchet/core.h"
#include "ratchet/tune.h"
#include "train/yaml_util.h"

namespace ratchet {

namespace {

using Kind = SearchParam::Kind;

// A numeric parameter's internal scale: its own, log for kLogUniform, and for kInt the range
// widened by half a step on each side so that every whole number gets the same width.
struct Scale {
  double a, b;
  double To(const SearchParam& p, double x) const { return p.kind == Kind::kLogUniform ? std::log(x) : x; }
  double From(const SearchParam& p, double u) const {
    if (p.kind == Kind::kLogUniform) return std::clamp(std::exp(u), p.low, p.high);
    if (p.kind == Kind::kInt) return std::clamp(std::round(u), p.low, p.high);
    return std::clamp(u, p.low, p.high);
  }
};

Scale ScaleOf(const SearchParam& p) {
  if (p.kind == Kind::kLogUniform) return {std::log(p.low), std::log(p.high)};
  if (p.kind == Kind::kInt) return {p.low - 0.5, p.high + 0.5};
  return {p.low, p.high};
}

double DrawOne(const SearchParam& p, Rng& rng) {
  if (p.kind == Kind::kCategorical) return static_cast<double>(rng.Below(p.choices.size()));
  const Scale s = ScaleOf(p);
  return s.From(p, rng.Uniform(s.a, s.b));
}

Assignment RandomAssignment(const SearchSpace& space, Rng& rng) {
  Assignment a;
  for (const SearchParam& p : space.params) a.numbers.push_back(DrawOne(p, rng));
  return a;
}

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// A Parzen estimator over [a, b]: Gaussian kernels at the observations plus a flat-ish prior
// kernel (centre of the range, width of the range), each truncated to the range, equal weights.
class Parzen {
 public:
  Parzen(std::vector<double> obs, double a, double b) : a_(a), b_(b) {
    const double range = b - a;
    mu_ = std::move(obs);
    mu_.push_back(0.5 * (a + b));  // the prior
    std::vector<size_t> order(mu_.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) { return mu_[i] < mu_[j]; });
    sigma_.assign(mu_.size(), range);
    // each observation's width: the larger gap to its sorted neighbours (hyperopt's rule),
    // clipped to [range / min(100, 1 + n), range]; the prior keeps the whole range
    const double min_sigma = range / std::min(100.0, 1.0 + static_cast<double>(mu_.size()));
    for (size_t k = 0; k < order.size(); ++k) {
      const size_t i = order[k];
      if (i + 1 == mu_.size()) continue;  // the prior
      const double left = k > 0 ? mu_[i] - mu_[order[k - 1]] : mu_[i] - a;
      const double right = k + 1 < order.size() ? mu_[order[k + 1]] - mu_[i] : b - mu_[i];
      sigma_[i] = std::clamp(std::max(left, right), min_sigma, range);
    }
    for (size_t i = 0; i < mu_.size(); ++i)
      mass_.push_back(std::max(NormalCdf((b - mu_[i]) / sigma_[i]) - NormalCdf((a - mu_[i]) / sigma_[i]), 1e-12));
  }

  double LogPdf(double u) const {
    double p = 0;
    for (size_t i = 0; i < mu_.size(); ++i) {
      const double z = (u - mu_[i]) / sigma_[i];
      p += std::exp(-0.5 * z * z) / (sigma_[i] * std::sqrt(2 * M_PI) * mass_[i]);
    }
    return std::log(std::max(p / static_cast<double>(mu_.size()), 1e-300));
  }

  double Draw(Rng& rng) const {
    const size_t i = rng.Below(mu_.size());
    for (int tries = 0; tries < 64; ++tries) {
      const double u = mu_[i] + sigma_[i] * rng.Normal();
      if (u >= a_ && u <= b_) return u;
    }
    return rng.Uniform(a_, b_);
  }

 private:
  double a_, b_;
  std::vector<double> mu_, sigma_, mass_;
};

class RandomSampler final : public Sampler {
 public:
  explicit RandomSampler(uint64_t seed) : seed_(seed) {}
  Assignment Suggest(const SearchSpace& space, int trial, const std::vector<TrialRecord>&) const override {
    Rng rng = Rng(seed_, 0x7e5a).Split(static_cast<uint64_t>(trial));
    return RandomAssignment(space, rng);
  }

 private:
  uint64_t seed_;
};

class TpeSampler final : public Sampler {
 public:
  TpeSampler(uint64_t seed, TpeOptions o) : seed_(seed), o_(o) {}

  Assignment Suggest(const SearchSpace& space, int trial, const std::vector<TrialRecord>& history) const override {
    Rng rng = Rng(seed_, 0x7e5b).Split(static_cast<uint64_t>(trial));
    const int n = static_cast<int>(history.size());
    if (n < std::max(o_.startup, 2)) return RandomAssignment(space, rng);
    // best first; failed trials (NaN) last; ties keep the order they finished in
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    auto key = [&](int i) { return std::isnan(history[i].score) ? -INFINITY : history[i].score; };
    std::stable_sort(order.begin(), order.end(), [&](int i, int j) { return key(i) > key(j); });
    const int n_good = std::clamp(static_cast<int>(std::ceil(o_.gamma * n)), 1, std::min(25, n - 1));
    Assignment out;
    for (size_t p = 0; p < space.params.size(); ++p) {
      const SearchParam& sp = space.params[p];
      Rng prng = rng.Split(p);
      if (sp.kind == Kind::kCategorical) {
        // smoothed frequencies: count + one prior observation spread over the choices
        const size_t C = sp.choices.size();
        std::vector<double> good(C, 1.0 / C), bad(C, 1.0 / C);
        for (int k = 0; k < n; ++k) {
          const size_t c = static_cast<size_t>(history[order[k]].assignment.numbers[p]);
          (k < n_good ? good : bad)[std::min(c, C - 1)] += 1.0;
        }
        const double sg = std::accumulate(good.begin(), good.end(), 0.0);
        const double sb = std::accumulate(bad.begin(), bad.end(), 0.0);
        double best_ratio = -INFINITY, best_c = 0;
        for (int k = 0; k < o_.candidates; ++k) {
          // a candidate drawn from l
          double r = prng.Uniform() * sg;
          size_t c = 0;
          while (c + 1 < C && r >= good[c]) r -= good[c++];
          const double ratio = std::log(good[c] / sg) - std::log(bad[c] / sb);
          if (ratio > best_ratio) best_ratio = ratio, best_c = static_cast<double>(c);
        }
        out.numbers.push_back(best_c);
        continue;
      }
      const Scale s = ScaleOf(sp);
      std::vector<double> g, b;
      for (int k = 0; k < n; ++k) (k < n_good ? g : b).push_back(s.To(sp, history[order[k]].assignment.numbers[p]));
      const Parzen l(g, s.a, s.b), gb(b, s.a, s.b);
      double best_ratio = -INFINITY, best_u = 0.5 * (s.a + s.b);
      for (int k = 0; k < o_.candidates; ++k) {
        const double u = l.Draw(prng);
        const double ratio = l.LogPdf(u) - gb.LogPdf(u);
        if (ratio > best_ratio) best_ratio = ratio, best_u = u;
      }
      out.numbers.push_back(s.From(sp, best_u));
    }
    return out;
  }

 private:
  uint64_t seed_;
  TpeOptions o_;
};

std::pair<double, double> Bounds(const YAML::Node& v, const std::string& where) {
  if (!v.IsSequence() || v.size() != 2)
    throw Error(fmt::format("{}: expected [low, high]", where));
  double lo = 0, hi = 0;
  try {
    lo = v[0].as<double>();
    hi = v[1].as<double>();
  } catch (const YAML::Exception&) {
    throw Error(fmt::format("{}: the bounds must be numbers", where));
  }
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi))
    throw Error(fmt::format("{}: needs low < high, got [{}, {}]", where, lo, hi));
  return {lo, hi};
}

}  // namespace

SearchSpace ParseSearchSpace(const std::string& yaml, const std::string& source) {
  const YAML::Node root = LoadYaml(yaml, source);
  SearchSpace space;
  for (const auto& [key, value] : MapEntries(root, source, "search space")) {
    const std::string where = fmt::format("{}: {}", source, key);
    if (key == "seed")
      throw Error(fmt::format("{}: the seeds of the trials come from --seeds; a search space cannot set them", where));
    if (!value.IsMap() || value.size() != 1)
      throw Error(fmt::format("{}: expected one of {{uniform: [low, high]}}, {{log_uniform: [low, high]}}, "
                              "{{int: [low, high]}}, {{categorical: [a, b, ...]}}", where));
    if (!value.begin()->first.IsScalar())
      throw Error(fmt::format("{}: the range kind must be a name (uniform, log_uniform, int, categorical)", where));
    const std::string kind = value.begin()->first.Scalar();
    const YAML::Node arg = value.begin()->second;
    SearchParam p;
    p.name = key;
    if (kind == "uniform" || kind == "log_uniform" || kind == "int") {
      std::tie(p.low, p.high) = Bounds(arg, where);
      p.kind = kind == "uniform" ? Kind::kUniform : kind == "log_uniform" ? Kind::kLogUniform : Kind::kInt;
      if (p.kind == Kind::kLogUniform && p.low <= 0)
        throw Error(fmt::format("{}: log_uniform needs a positive low bound, got {}", where, p.low));
      if (p.kind == Kind::kInt && (p.low != std::round(p.low) || p.high != std::round(p.high)))
        throw Error(fmt::format("{}: int needs whole-number bounds", where));
      if (p.kind == Kind::kInt && (std::fabs(p.low) > 9e15 || std::fabs(p.high) > 9e15))
        throw Error(fmt::format("{}: int bounds must be within +-9e15, got [{}, {}]", where, p.low, p.high));
    } else if (kind == "categorical") {
      if (!arg.IsSequence() || arg.size() == 0) throw Error(fmt::format("{}: categorical needs a list of values", where));
      p.kind = Kind::kCategorical;
      for (const YAML::Node& c : arg) {
        if (!c.IsScalar()) throw Error(fmt::format("{}: a categorical value must be a scalar", where));
        p.choices.push_back(c.Scalar());
      }
    } else {
      throw Error(fmt::format("{}: unknown range kind '{}' (uniform, log_uniform, int, categorical)", where, kind));
    }
    space.params.push_back(std::move(p));
  }
  if (space.params.empty()) throw Error(fmt::format("{}: the search space is empty", source));
  return space;
}

std::string Assignment::Text(const SearchSpace& space, size_t i) const {
  const SearchParam& p = space.params.at(i);
  const double v = numbers.at(i);
  if (p.kind == Kind::kCategorical) return p.choices.at(static_cast<size_t>(v));
  if (p.kind == Kind::kInt) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{:.6g}", v);
}

std::unique_ptr<Sampler> MakeRandomSampler(uint64_t seed) { return std::make_unique<RandomSampler>(seed); }

std::unique_ptr<Sampler> MakeTpeSampler(uint64_t seed, TpeOptions options) {
  if (options.startup < 0 || options.candidates < 1 || !(options.gamma > 0 && options.gamma < 1))
    throw Error("TPE options: startup >= 0, candidates >= 1 and 0 < gamma < 1");
  return std::make_unique<TpeSampler>(seed, options);
}

}  // namespace ratchet
