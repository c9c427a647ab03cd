// The C export against the deploy library: the generated C99, compiled with -ffp-contract=off for
// this build's ISA level (as the header says to), gives DeployedPolicy's actions bit for bit, for
// networks of every shape that takes a different path through the matrix-vector products (Eigen's
// coefficient-based product, its dot product, its matrix-vector kernel with ragged rows and
// column blocks), tanh and ReLU, Box and Discrete, with and without the normaliser; the generated
// code compiles warning-free as strict C99.
#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>

#include "ratchet/deploy.h"
#include "ratchet/train.h"
#include "test_util.h"

namespace ratchet {
namespace {

std::string ErrorOfExport(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

using ActFn = void (*)(const float*, float*);
using BatchFn = void (*)(const float*, float*, int);

struct Compiled {
  void* lib = nullptr;
  ActFn act = nullptr;
  BatchFn batch = nullptr;
};

// Writes and compiles the policy's C into a shared object and loads it.
Compiled Compile(const DeployedPolicy::Contents& c, const std::string& name) {
  const auto dir = testing::FreshDir("c_export_" + name);
  const auto [h, s] = PolicyCSource(c, name, "a test");
  std::ofstream(dir / (name + ".h")) << h;
  std::ofstream(dir / (name + ".c")) << s;
  const std::string so = (dir / (name + ".so")).string();
  const std::string cmd = fmt::format(
      "cc -std=c99 -pedantic -Wall -Wextra -Werror -O3 {} -ffp-contract=off -shared -fPIC -o {} {} -lm 2> {}",
      RATCHET_MARCH_FLAG, so, (dir / (name + ".c")).string(), (dir / "cc.log").string());
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << testing::ReadFile(dir / "cc.log");
  Compiled out;
  out.lib = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  EXPECT_NE(out.lib, nullptr) << dlerror();
  if (out.lib == nullptr) return out;
  out.act = reinterpret_cast<ActFn>(dlsym(out.lib, (name + "_act").c_str()));
  out.batch = reinterpret_cast<BatchFn>(dlsym(out.lib, (name + "_act_batch").c_str()));
  return out;
}

DeployedPolicy::Contents RandomPolicy(const std::vector<int>& widths, bool tanh, bool discrete, bool normalize,
                                      uint64_t seed) {
  Rng rng(seed, 0);
  DeployedPolicy::Contents c;
  c.env_id = "Random-v0";
  c.widths = widths;
  c.obs_dim = widths.front();
  c.num_actions = widths.back();
  c.discrete = discrete;
  c.tanh = tanh;
  for (size_t l = 0; l + 1 < widths.size(); ++l) {
    const int n = widths[l + 1] * (widths[l] + 1);
    const double scale = 1.5 / std::sqrt(widths[l]);
    for (int k = 0; k < n; ++k) c.params.push_back(k % 17 == 5 ? 0.0f : static_cast<float>(scale * rng.Normal()));
  }
  if (!discrete)
    for (int d = 0; d < c.num_actions; ++d) {
      c.action_low.push_back(-0.5f - static_cast<float>(d % 3));
      c.action_high.push_back(0.75f + static_cast<float>(d % 2));
    }
  c.normalize_obs = normalize;
  c.obs_clip = 5.0;
  if (normalize)
    for (int j = 0; j < c.obs_dim; ++j) {
      c.obs_mean.push_back(rng.Normal());
      c.obs_var.push_back(0.01 + 4 * rng.Uniform(0, 1));
    }
  return c;
}

struct Shape {
  std::vector<int> widths;
  bool tanh, discrete, normalize;
};

class CExportTest : public ::testing::TestWithParam<Shape> {};

TEST_P(CExportTest, ActsBitForBitAsTheDeployLibrary) {
  const Shape& sh = GetParam();
  const DeployedPolicy::Contents c = RandomPolicy(sh.widths, sh.tanh, sh.discrete, sh.normalize, sh.widths.size() * 7919 + sh.widths[1]);
  const DeployedPolicy d(c);
  static int serial = 0;
  const std::string name = fmt::format("policy{}", serial++);
  const Compiled lib = Compile(c, name);
  ASSERT_NE(lib.act, nullptr);
  ASSERT_NE(lib.batch, nullptr);
  Rng rng(99, 1);
  const int n = 500, od = c.obs_dim, ad = d.action_dim();
  std::vector<float> obs(static_cast<size_t>(n) * od), batch(static_cast<size_t>(n) * ad);
  for (size_t k = 0; k < obs.size(); ++k)
    obs[k] = static_cast<float>(rng.Normal() * (k % 11 == 0 ? 40.0 : 2.0)) * (k % 23 == 0 ? 0.0f : 1.0f);
  lib.batch(obs.data(), batch.data(), n);
  int differing = 0, clipped = 0;
  for (int i = 0; i < n; ++i) {
    const std::span<const float> x(obs.data() + static_cast<size_t>(i) * od, od);
    const std::vector<float> want = d.Act(x);
    std::vector<float> got(ad);
    lib.act(x.data(), got.data());
    differing += std::memcmp(got.data(), want.data(), ad * sizeof(float)) != 0;
    differing += std::memcmp(batch.data() + static_cast<size_t>(i) * ad, want.data(), ad * sizeof(float)) != 0;
    if (!c.discrete) {
      for (int k = 0; k < ad; ++k) clipped += want[k] == c.action_low[k] || want[k] == c.action_high[k];
    }
  }
  EXPECT_EQ(differing, 0) << "of " << 2 * n << " actions (single and batch)";
  if (!c.discrete) {
    EXPECT_GT(clipped, 0) << "no action reached the bounds";
  }
  dlclose(lib.lib);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, CExportTest,
    ::testing::Values(
        // Eigen's coefficient-based product on small layers (in + out + 1 < 20), packet rows and tail rows
        Shape{{4, 8, 2}, true, true, false}, Shape{{3, 13, 1}, true, false, true}, Shape{{5, 9, 3}, false, false, false},
        // the usual 64 x 64: the matrix-vector kernel; out = 1 through the dot product
        Shape{{17, 64, 64, 6}, true, false, true}, Shape{{3, 64, 64, 1}, true, false, true},
        Shape{{4, 64, 64, 2}, false, true, true},
        // ragged rows (out % 4 != 0), ragged tanh (out % 8 != 0), a wide input (column blocks of 16)
        Shape{{11, 37, 29, 7}, true, false, false}, Shape{{376, 130, 67, 17}, true, false, true},
        Shape{{200, 256, 3}, false, false, true}, Shape{{27, 19, 1}, true, false, false}),
    [](const auto& info) {
      std::string n;
      for (int w : info.param.widths) n += std::to_string(w) + "_";
      return n + (info.param.tanh ? "tanh" : "relu") + (info.param.discrete ? "_discrete" : "_box") +
             (info.param.normalize ? "_norm" : "");
    });

TEST(CExportTest, TheFilesCarryTheNameAndTheHeaderWhatItNeeds) {
  const DeployedPolicy::Contents c = RandomPolicy({4, 16, 2}, true, true, false, 1);
  const auto [h, s] = PolicyCSource(c, "3-legged robot", "runs/x");
  EXPECT_NE(h.find("void policy_3_legged_robot_act(const float *obs, float *action);"), std::string::npos) << h;
  EXPECT_NE(h.find("#define POLICY_3_LEGGED_ROBOT_OBS_DIM 4"), std::string::npos);
  EXPECT_NE(h.find("-ffp-contract=off"), std::string::npos);
  EXPECT_NE(s.find("#include <math.h>"), std::string::npos);
  EXPECT_EQ(s.find("malloc"), std::string::npos);
  EXPECT_EQ(s.find("#include <std"), std::string::npos);
}

TEST(CExportTest, AModelThatIsNotFiniteIsRefusedByEveryFormatWritingNothing) {
  const auto dir = testing::FreshDir("c_export_nan");
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "Pendulum-v1";
  o.sets = {"n_timesteps=256", "n_envs=1", "n_steps=256", "batch_size=64", "eval_episodes=0", "normalize_obs=true"};
  RunConfig cfg = ResolveRunConfig(o);
  std::filesystem::create_directories(dir / "run");
  Train(cfg, dir / "run", {});
  for (int which = 0; which < 3; ++which) {
    TrainedModel m = LoadTrainedModel(dir / "run");
    if (which == 0) m.policy->params()[3] = std::numeric_limits<float>::quiet_NaN();
    if (which == 1) m.value->params()[1] = std::numeric_limits<float>::infinity();
    if (which == 2) m.norm.rms.var[0] = std::numeric_limits<double>::quiet_NaN();
    const std::string rpol = ErrorOfExport([&] { ExportPolicy(m, dir / "p.rpol"); });
    const std::string onnx = ErrorOfExport([&] { ExportOnnx(m, dir / "p.onnx"); });
    const std::string c = ErrorOfExport([&] { ExportC(m, dir / "p.c", "run"); });
    for (const std::string& e : {onnx, c}) EXPECT_NE(e.find("cannot export the policy of Pendulum-v1"), std::string::npos) << e;
    if (which != 1) {
      EXPECT_NE(rpol.find("not"), std::string::npos) << rpol;  // the value network is not in .rpol
    }
    for (const char* f : {"p.onnx", "p.c", "p.h"}) EXPECT_FALSE(std::filesystem::exists(dir / f)) << which << f;
    if (which != 1) {
      EXPECT_FALSE(std::filesystem::exists(dir / "p.rpol")) << which;
    }
  }
}

}  // namespace
}  // namespace ratchet
