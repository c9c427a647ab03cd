#include <sys/stat.h>

#include <atomic>
#include <cmath>
#include <set>

#include "ratchet/core.h"
#include "test_util.h"

namespace ratchet {
namespace {

TEST(FileTest, OnlyRegularFilesOfBoundedSizeAreRead) {
  const auto dir = testing::FreshDir("files");
  const auto fifo = dir / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // a FIFO would block the read for ever: refused without being opened
  EXPECT_NE(testing::ErrorOf([&] { ReadTextFile(fifo, "run config"); }).find("not a regular file"), std::string::npos);
  EXPECT_NE(testing::ErrorOf([&] { ReadTextFile("/dev/zero", "run config"); }).find("not a regular file"),
            std::string::npos);
  WriteFileAtomically(dir / "big.yaml", std::string(2000, 'x'), "test file");
  EXPECT_NE(testing::ErrorOf([&] { ReadTextFile(dir / "big.yaml", "preset", 1000); }).find("more than the 1000"),
            std::string::npos);
  EXPECT_EQ(ReadTextFile(dir / "big.yaml", "preset").size(), 2000u);
}

TEST(RngTest, SameSeedSameSequence) {
  Rng a(42), b(42);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.NextU64(), b.NextU64());
}

TEST(RngTest, SeedsAndStreamsDiffer) {
  Rng a(1), b(2), c(1, 1);
  int same_ab = 0, same_ac = 0;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.NextU64();
    same_ab += x == b.NextU64();
    same_ac += x == c.NextU64();
  }
  EXPECT_EQ(same_ab, 0);
  EXPECT_EQ(same_ac, 0);
}

TEST(RngTest, SplitIsDeterministicAndDoesNotAdvanceParent) {
  Rng p(7);
  const Rng::State before = p.state();
  Rng c1 = p.Split(3), c2 = p.Split(3), c3 = p.Split(4);
  EXPECT_EQ(p.state(), before);
  EXPECT_EQ(c1.NextU64(), c2.NextU64());
  EXPECT_NE(c1.state(), c3.state());
}

TEST(RngTest, UniformAndNormalMoments) {
  Rng r(5);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = r.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    const double z = r.Normal();
    sn += z;
    sn2 += z * z;
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(sn / n, 0.0, 0.01);
  EXPECT_NEAR(sn2 / n, 1.0, 0.02);
}

TEST(RngTest, BelowCoversRangeUniformly) {
  Rng r(9);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) {
    const uint64_t k = r.Below(7);
    ASSERT_LT(k, 7u);
    ++counts[k];
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

TEST(ThreadPoolTest, ParallelForVisitsEveryIndexOnce) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int n : {0, 1, 2, 5, 100}) {
      std::vector<std::atomic<int>> hits(n);
      pool.ParallelFor(n, [&](int b, int e) {
        for (int i = b; i < e; ++i) hits[i]++;
      });
      for (int i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << threads << " " << n;
    }
  }
}

TEST(ThreadPoolTest, Fork2RunsBoth) {
  ThreadPool pool(2);
  for (int k = 0; k < 1000; ++k) {
    int a = 0, b = 0;
    pool.Fork2([&] { a = 1; }, [&] { b = 2; });
    ASSERT_EQ(a + b, 3);
  }
}

TEST(ThreadPoolTest, RejectsZeroThreads) { EXPECT_THROW(ThreadPool(0), Error); }

TEST(CheckTest, FailingCheckThrowsInternalErrorWithLocation) {
  try {
    RATCHET_CHECK(1 + 1 == 3, "arithmetic");
    FAIL();
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("core_test.cc"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("arithmetic"), std::string::npos);
  }
}

}  // namespace
}  // namespace ratchet
