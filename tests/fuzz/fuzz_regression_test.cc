// Every seed-corpus input and every fuzzing reproducer of each loader (fuzz/corpus/<target>,
// fuzz/regressions/<target>) runs through its fuzz target in the normal suite: a reproducer of a
// fixed crash stays fixed. (The fuzzing itself: scripts/fuzz.sh.)
#include "targets.h"
#include "test_util.h"

namespace ratchet {
namespace {

TEST(FuzzRegressionTest, EveryCorpusInputAndReproducerLoadsOrIsRefused) {
  const std::filesystem::path root = std::filesystem::path(RATCHET_SOURCE_DIR) / "fuzz";
  int inputs = 0;
  for (const fuzz::Target& t : fuzz::AllTargets()) {
    for (const char* kind : {"corpus", "regressions"}) {
      const auto dir = root / kind / t.name;
      if (!std::filesystem::exists(dir)) continue;
      for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().filename().string().starts_with(".")) continue;
        const std::string bytes = testing::ReadFile(e.path());
        SCOPED_TRACE(e.path().string());
        EXPECT_NO_THROW(t.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
        ++inputs;
      }
    }
    // degenerate inputs too
    EXPECT_NO_THROW(t.run(nullptr, 0));
    const uint8_t one = 0xff;
    EXPECT_NO_THROW(t.run(&one, 1));
  }
  fuzz::CleanUp();
  EXPECT_GE(inputs, 10);
}

// The payload corpus reaches the end of the trainer's payload: each committed seed (seed-*; the
// rest of the corpus is what fuzzing kept) is a whole, valid payload, so the fuzzer mutates the
// collector, normalisers, networks and optimiser, not only the counters in front of them; and a
// truncated copy is refused with a message.
TEST(FuzzRegressionTest, ThePayloadCorpusRestoresWholeAndATruncatedCopyIsRefused) {
  const auto dir = std::filesystem::path(RATCHET_SOURCE_DIR) / "fuzz" / "corpus" / "trainer_payload";
  int seeds = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (!e.path().filename().string().starts_with("seed-")) continue;
    const std::string bytes = testing::ReadFile(e.path());
    SCOPED_TRACE(e.path().string());
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
    EXPECT_EQ(fuzz::TrainerPayloadError(data, bytes.size()), "");
    EXPECT_NE(fuzz::TrainerPayloadError(data, bytes.size() - 1), "");
    ++seeds;
  }
  EXPECT_GE(seeds, 1);
}

}  // namespace
}  // namespace ratchet
