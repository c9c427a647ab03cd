// Search spaces and samplers: parsing, ranges, determinism, and TPE against random search on a
// cheap synthetic objective over many seeds.
#include <cmath>
#include <numeric>

#include "ratchet/tune.h"
#include "test_util.h"

namespace ratchet {
namespace {

const char* kSpace = R"(
learning_rate: {log_uniform: [1.0e-5, 1.0e-1]}
clip_range: {uniform: [-5, 5]}
n_epochs: {int: [1, 20]}
activation: {categorical: [tanh, relu, elu]}
)";

// Maximum 0 at learning_rate 1e-3, clip_range 1.3, n_epochs 7, relu.
double Objective(const SearchSpace& s, const Assignment& a) {
  const double lr = a.numbers[0], x = a.numbers[1], n = a.numbers[2];
  return -std::pow(std::log10(lr) + 3, 2) - std::pow(x - 1.3, 2) / 4 - std::pow((n - 7) / 5, 2) -
         (a.Text(s, 3) == "relu" ? 0.0 : 1.0);
}

double BestAfter(const Sampler& sampler, const SearchSpace& space, int trials) {
  std::vector<TrialRecord> history;
  double best = -INFINITY;
  for (int t = 0; t < trials; ++t) {
    const Assignment a = sampler.Suggest(space, t, history);
    const double f = Objective(space, a);
    best = std::max(best, f);
    history.push_back({a, f});
  }
  return best;
}

TEST(SearchSpaceTest, ParsesEveryKindAndNamesMistakes) {
  const SearchSpace s = ParseSearchSpace(kSpace, "space.yaml");
  ASSERT_EQ(s.params.size(), 4u);
  EXPECT_EQ(s.params[0].name, "learning_rate");
  EXPECT_EQ(s.params[0].kind, SearchParam::Kind::kLogUniform);
  EXPECT_EQ(s.params[2].kind, SearchParam::Kind::kInt);
  EXPECT_EQ(s.params[3].choices, (std::vector<std::string>{"tanh", "relu", "elu"}));
  auto error = [](const std::string& text) { return testing::ErrorOf([&] { ParseSearchSpace(text, "s.yaml"); }); };
  EXPECT_NE(error("lr: {log_uniform: [0, 1]}").find("s.yaml: lr: log_uniform needs a positive low bound"),
            std::string::npos);
  EXPECT_NE(error("lr: {uniform: [2, 1]}").find("needs low < high"), std::string::npos);
  EXPECT_NE(error("lr: {gaussian: [0, 1]}").find("unknown range kind 'gaussian'"), std::string::npos);
  EXPECT_NE(error("n: {int: [1.5, 4]}").find("whole-number bounds"), std::string::npos);
  EXPECT_NE(error("a: {categorical: []}").find("needs a list of values"), std::string::npos);
  EXPECT_NE(error("a: {uniform: [0, 1]}\na: {uniform: [0, 2]}").find("a"), std::string::npos);
  EXPECT_NE(error("{}").find("empty"), std::string::npos);
}

TEST(SamplerTest, ValuesStayInRangeAndFollowTheSeed) {
  const SearchSpace s = ParseSearchSpace(kSpace, "space.yaml");
  for (const auto& sampler : {MakeRandomSampler(3), MakeTpeSampler(3)}) {
    std::vector<TrialRecord> history;
    std::vector<int> seen(3, 0);
    for (int t = 0; t < 40; ++t) {
      const Assignment a = sampler->Suggest(s, t, history);
      EXPECT_EQ(a.numbers, sampler->Suggest(s, t, history).numbers);  // a pure function
      ASSERT_EQ(a.numbers.size(), 4u);
      EXPECT_GE(a.numbers[0], 1e-5);
      EXPECT_LE(a.numbers[0], 1e-1);
      EXPECT_GE(a.numbers[1], -5);
      EXPECT_LE(a.numbers[1], 5);
      EXPECT_EQ(a.numbers[2], std::round(a.numbers[2]));
      EXPECT_GE(a.numbers[2], 1);
      EXPECT_LE(a.numbers[2], 20);
      ++seen.at(static_cast<size_t>(a.numbers[3]));
      history.push_back({a, Objective(s, a)});
    }
    for (int c : seen) EXPECT_GT(c, 0);
  }
  // another seed, another sequence
  EXPECT_NE(MakeTpeSampler(3)->Suggest(s, 0, {}).numbers, MakeTpeSampler(4)->Suggest(s, 0, {}).numbers);
}

// The issue's check: for a fixed budget TPE finds better settings than random search, on average
// and on most seeds.
TEST(SamplerTest, TpeBeatsRandomSearchOnASyntheticObjective) {
  const SearchSpace s = ParseSearchSpace(kSpace, "space.yaml");
  const int seeds = 30, budget = 50;
  double tpe_sum = 0, random_sum = 0;
  int tpe_wins = 0;
  for (int seed = 0; seed < seeds; ++seed) {
    const double tpe = BestAfter(*MakeTpeSampler(seed), s, budget);
    const double rnd = BestAfter(*MakeRandomSampler(seed), s, budget);
    tpe_sum += tpe;
    random_sum += rnd;
    tpe_wins += tpe > rnd;
  }
  RecordProperty("tpe_mean_best", std::to_string(tpe_sum / seeds));
  RecordProperty("random_mean_best", std::to_string(random_sum / seeds));
  EXPECT_GT(tpe_sum / seeds, random_sum / seeds + 0.1) << tpe_sum / seeds << " vs " << random_sum / seeds;
  EXPECT_GE(tpe_wins, 2 * seeds / 3) << tpe_wins << " of " << seeds;
}

}  // namespace
}  // namespace ratchet
