// Golden bits: the recorded digests of short runs of every algorithm (ratchet::GoldenBits) are
// reproduced on this machine, and do not move when the CPU reports other cache sizes.
#include <Eigen/Core>
#include <fmt/format.h>

#include "ratchet/train.h"
#include "test_util.h"

namespace ratchet {
namespace {

std::string Name(const GoldenRun& r) { return r.algo + " on " + r.env; }

TEST(GoldenBitsTest, EveryAlgorithmGivesTheRecordedBits) {
  if (const std::string why = GoldenBuildMismatch(); !why.empty()) GTEST_SKIP() << why;
  const auto& table = GoldenBits();
  ASSERT_EQ(table.size(), 2 * Algorithms().size());  // every algorithm, a classic and a MuJoCo env
  for (size_t i = 0; i < table.size(); ++i) {
    const GoldenEntry& g = table[i];
    const GoldenDigest d = RunGolden(g.run, testing::FreshDir(fmt::format("golden_{}", i)));
    EXPECT_EQ(d.ToString(), g.digest.ToString())
        << Name(g.run) << ": this machine does not reproduce the recorded bits (see `ratchet doctor`)";
  }
}

// Eigen sizes the blocks of a matrix product from the L1 cache the CPU reports, and the blocks
// decide where sums are rounded: before Ratchet fixed the sizes, NPG, TRPO, ACKTR and VPG gave
// other bits on a CPU with a 32 KiB L1 (AMD EPYC) than with 48 KiB (Intel Sapphire Rapids). Here
// the CPU is made to report other sizes, as another machine would, and with 2 threads instead of 1:
// not a bit may move. (With PinProductBlocking a no-op this fails for 8 of the 14 runs.)
TEST(GoldenBitsTest, SameBitsWhateverCachesTheCpuReports) {
  if (const std::string why = GoldenBuildMismatch(); !why.empty()) GTEST_SKIP() << why;
  const std::vector<CacheSizes> cpus = {{32 * 1024, 1024 * 1024, 32 * 1024 * 1024},  // AMD Zen 4
                                        {32 * 1024, 256 * 1024, 0}};                   // no L3 at all
  const auto& table = GoldenBits();
  for (size_t i = 0; i < table.size(); ++i) {
    const CacheSizes& c = cpus[i % cpus.size()];
    Eigen::setCpuCacheSizes(c.l1, c.l2, c.l3);
    const GoldenEntry& g = table[i];
    const GoldenDigest d = RunGolden(g.run, testing::FreshDir(fmt::format("golden_cpu_{}", i)), 2);
    EXPECT_EQ(d.ToString(), g.digest.ToString()) << Name(g.run) << " with the caches of another CPU ("
                                                 << c.l1 / 1024 << " KiB L1) and 2 threads";
  }
  EXPECT_EQ(EigenCacheSizes(), PinnedCacheSizes());
}

}  // namespace
}  // namespace ratchet
