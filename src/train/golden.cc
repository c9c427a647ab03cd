// Golden bits: short runs whose digests are recorded here, checked by the test suite on every CI
// machine and by `ratchet doctor` on the user's.
//
// Regenerate the table (only after a change that is meant to change results, say why in the
// commit) with `ratchet doctor --print-golden` from the portable release build.
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "core/file.h"
#include "ratchet/bytes.h"
#include "ratchet/train.h"

namespace ratchet {

namespace {

// FNV-1a over everything put into it, in order.
struct Hasher {
  ByteWriter w;
  template <typename T>
  void Add(std::span<const T> v) {
    w.PutArray(v);
  }
  template <typename T>
  void Add(const std::vector<T>& v) {
    Add(std::span<const T>(v));
  }
  uint64_t Digest() const { return Checksum(w.buf); }
};

uint64_t RolloutDigest(const Rollout& r) {
  Hasher h;
  h.Add(std::span<const int>(std::array{r.T, r.N, r.obs_dim, r.act_dim}));
  h.Add(r.obs);
  h.Add(r.actions);
  h.Add(r.logp);
  h.Add(r.values);
  h.Add(r.rewards);
  h.Add(r.terminated);
  h.Add(r.truncated);
  h.Add(r.final_values);
  h.Add(r.last_values);
  h.Add(r.advantages);
  h.Add(r.returns);
  h.Add(r.valid);
  return h.Digest();
}

}  // namespace

std::string GoldenDigest::ToString() const {
  return fmt::format("rollout {:016x} update {:016x} progress {:016x} model {:016x}", rollout, update, progress,
                     model);
}

GoldenDigest RunGolden(const GoldenRun& run, const std::filesystem::path& dir, int threads) {
  ResolveOptions o;
  o.algo = run.algo;
  o.env = run.env;
  o.seed = 1;
  o.sets = {"threads=" + std::to_string(threads), "eval_episodes=2", "eval_every=-1", "checkpoint_every=0",
            "checkpoint_minutes=0"};
  const RunConfig shape = ResolveRunConfig(o);  // the preset's rollout size
  o.steps = run.updates * shape.train.rollout_steps();
  RunConfig cfg = ResolveRunConfig(o);
  std::filesystem::create_directories(dir);

  GoldenDigest d;
  Hasher progress;
  const size_t wall = ProgressColumn("wall_time");
  TrainOptions opt;
  opt.on_rollout = [&](const Rollout& r) {
    if (d.rollout == 0) d.rollout = RolloutDigest(r);
  };
  opt.on_update = [&](std::span<const double> row) {
    std::vector<double> kept(row.begin(), row.end());
    kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(wall));
    if (d.update == 0) {
      Hasher first;
      first.Add(kept);
      d.update = first.Digest();
    }
    progress.Add(kept);
    return true;
  };
  const TrainResult res = Train(cfg, dir, opt);
  if (res.eval) progress.Add(res.eval->returns);
  d.progress = progress.Digest();
  d.model = Checksum(ReadWholeFile(dir / "model.bin", "model file"));
  return d;
}

std::string GoldenBuildMismatch() {
  const BuildInfo& b = GetBuildInfo();
  if (!b.portable) return fmt::format("this is a {} build; the golden bits are those of the portable x86-64-v3 build", b.isa);
  if (std::strcmp(b.isa, "x86-64-v3") != 0)
    return fmt::format("this build targets {}; the golden bits are those of x86-64-v3", b.isa);
  if (const std::string mj = MujocoVersion(); !mj.starts_with("2.2.2 "))
    return fmt::format("this build runs MuJoCo {}; the golden bits are those of Debian's MuJoCo 2.2.2", mj);
  return "";
}

namespace {

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("model name")) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  return "unknown CPU";
}

std::string X86Level() {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  if (__builtin_cpu_supports("x86-64-v4")) return "x86-64-v4";
  if (__builtin_cpu_supports("x86-64-v3")) return "x86-64-v3";
  if (__builtin_cpu_supports("x86-64-v2")) return "x86-64-v2";
  return "x86-64";
#else
  return "";
#endif
}

std::string Kib(std::ptrdiff_t bytes) { return fmt::format("{} KiB", bytes / 1024); }

}  // namespace

std::string BuildReport(bool machine) {
  const BuildInfo& b = GetBuildInfo();
  std::string out = fmt::format("ratchet {}\n", b.version);
  out += fmt::format("build: {} {}, {}, {}\n  flags: {}\n", b.portable ? "portable" : "host-specific", b.isa,
                     b.build_type, b.compiler, b.flags);
  out += fmt::format("libraries: Eigen {}, MuJoCo {}, {} (at run time)\n", b.eigen, MujocoVersion(), RuntimeLibc());
  if (*b.packages != '\0') {
    out += "Debian packages it was built against:\n";
    std::string p = b.packages;
    for (size_t start = 0; start < p.size();) {
      const size_t end = std::min(p.find('\n', start), p.size());
      out += "  " + p.substr(start, end - start) + "\n";
      start = end + 1;
    }
  }
  if (machine) {
    const std::string level = X86Level();
    out += fmt::format("this machine: {}, {} CPUs{}\n", CpuModel(), std::thread::hardware_concurrency(),
                       level.empty() ? "" : ", supports " + level);
    const CacheSizes cpu = CpuCacheSizes(), used = EigenCacheSizes(), pinned = PinnedCacheSizes();
    out += fmt::format("  caches it reports: L1d {}, L2 {}, L3 {}; matrix products are planned for L1d {}, "
                       "L2 {}, L3 {}{}\n", Kib(cpu.l1), Kib(cpu.l2), Kib(cpu.l3), Kib(used.l1), Kib(used.l2),
                       Kib(used.l3), used == pinned ? " (Ratchet's fixed sizes)" : " (NOT Ratchet's fixed sizes)");
    if (const char* t = std::getenv("GLIBC_TUNABLES"); t != nullptr && *t != '\0')
      out += fmt::format("  GLIBC_TUNABLES={}: CPU-feature tunables change which variants of exp, log, sin, cos, "
                         "... glibc runs, and with them the bits\n", t);
  }
  return out;
}

const std::vector<GoldenEntry>& GoldenBits() {
  static const std::vector<GoldenEntry> table = {
      // clang-format off
      {{"vpg", "CartPole-v1", 3}, {0x8eab16635f947fbe, 0x1d79359708d28f45, 0xbaf9ba7ad6f2ecce, 0x08a404b3bbf9874c}},
      {{"a2c", "CartPole-v1", 3}, {0x0ac1116bf3347267, 0xbac7fcf0ba0001c5, 0x852dc70f349dc5cc, 0xc21be310a9229a9e}},
      {{"npg", "CartPole-v1", 3}, {0x701301eb1bb1b309, 0xc3b15abb08b8c019, 0x7e30fb297db081e6, 0xad5c0cdb0aa736d2}},
      {{"trpo", "CartPole-v1", 3}, {0xd0500888edd2b8b3, 0x33eb89bfb39c5c53, 0xec6b3e5e2280b9e6, 0x3623c7ffce320e00}},
      {{"ppo", "CartPole-v1", 3}, {0xae0cfcd7c4a0d11f, 0x3fd7c36ff943f287, 0xc9c05f961a18f6a4, 0x213e95519b6e1abc}},
      {{"ppo-kl", "CartPole-v1", 3}, {0xcb95539ce9d923f2, 0x3d42da9e739ddea9, 0x55278d1b60945727, 0x3d24d460046fb21b}},
      {{"acktr", "CartPole-v1", 3}, {0x9cd2eefa724a1611, 0x1805a6de7257b8de, 0x637ba1f026ad2c7f, 0x3b8e87f66883205d}},
      {{"vpg", "HalfCheetah-v4", 3}, {0x16cb695dadbd8952, 0xc6952ccbd7da30d2, 0xa13db28b68aad789, 0x0cb1c26753da1df0}},
      {{"a2c", "HalfCheetah-v4", 3}, {0xfa6cb7ed75d0e185, 0x32ab0e0ff9158e16, 0x282ca93145d0c6fc, 0x2a1d0791e4257e9a}},
      {{"npg", "HalfCheetah-v4", 3}, {0x880de58eb02aad40, 0x2d70367071179e7d, 0x77e66e1d885f0f15, 0x1154d8c500a6e676}},
      {{"trpo", "HalfCheetah-v4", 3}, {0x880de58eb02aad40, 0x90ab218fcdc485d2, 0xa41b705d0d6b5381, 0xb259a480a9a22129}},
      {{"ppo", "HalfCheetah-v4", 3}, {0x0e7520cf32fc2150, 0xc134570f98f6e25d, 0x51154fb83fe4f36a, 0x5293ef1253dcabec}},
      {{"ppo-kl", "HalfCheetah-v4", 3}, {0x1f3a4b4505f5a2d9, 0x6bc329e1f592fd73, 0xc804560a70fee9ed, 0xf0bdfbefaface9ec}},
      {{"acktr", "HalfCheetah-v4", 3}, {0x880de58eb02aad40, 0x18e539c347458312, 0xafa6d43ae2f2a93e, 0x8fa6219220299484}},
      // clang-format on
  };
  return table;
}

}  // namespace ratchet
