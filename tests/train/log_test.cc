// Run logs: TensorBoard event files (TFRecord framing, masked CRC-32C, Event protobufs) decoded
// back, and progress.jsonl equal to progress.csv.
#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "ratchet/experiment.h"
#include "ratchet/log.h"
#include "ratchet/train.h"
#include "test_util.h"

namespace ratchet {
namespace {

std::span<const uint8_t> Span(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

uint32_t Le32(const std::string& s, size_t pos) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(s[pos + i])) << (8 * i);
  return v;
}

TEST(Crc32cTest, KnownValues) {
  // the CRC-32C check value (RFC 3720, appendix B.4 and the Castagnoli catalogue)
  EXPECT_EQ(Crc32c(Span("123456789")), 0xE3069283u);
  EXPECT_EQ(Crc32c(Span("")), 0u);
  const std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(Span(zeros)), 0x8A9136AAu);  // RFC 3720 B.4: 32 bytes of zeros
  const uint32_t c = Crc32c(Span("123456789"));
  EXPECT_EQ(MaskedCrc32c(Span("123456789")), ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST(EventFileTest, WritesTfRecordsThatDecodeBack) {
  const auto dir = testing::FreshDir("events");
  const auto path = dir / "events.out.tfevents.1.test";
  {
    EventWriter w(path);
    const std::vector<std::string> tags = {"a/x", "b/y"};
    for (int64_t s = 1; s <= 5; ++s) {
      const std::vector<float> v = {0.5f * s, -1.0f / s};
      w.Scalars(s * 100, 1000.0 + s, tags, v);
    }
    w.Flush();
  }
  // framing by hand: length, masked CRC of the length, payload, masked CRC of the payload
  const std::string bytes = testing::ReadFile(path);
  size_t pos = 0;
  int records = 0;
  while (pos < bytes.size()) {
    ASSERT_LE(pos + 12, bytes.size());
    uint64_t len = 0;
    for (int i = 0; i < 8; ++i) len |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[pos + i])) << (8 * i);
    EXPECT_EQ(Le32(bytes, pos + 8), MaskedCrc32c(Span(bytes.substr(pos, 8))));
    ASSERT_LE(pos + 12 + len + 4, bytes.size());
    EXPECT_EQ(Le32(bytes, pos + 12 + len), MaskedCrc32c(Span(bytes.substr(pos + 12, len))));
    pos += 12 + len + 4;
    ++records;
  }
  EXPECT_EQ(records, 6);  // file version + 5 events
  std::string version;
  const std::vector<ScalarEvent> ev = ReadEventFile(path, &version);
  EXPECT_EQ(version, "brain.Event:2");
  ASSERT_EQ(ev.size(), 10u);
  EXPECT_EQ(ev[4].tag, "a/x");
  EXPECT_EQ(ev[4].step, 300);
  EXPECT_EQ(ev[4].wall_time, 1003.0);
  EXPECT_EQ(ev[4].value, 1.5f);
  EXPECT_EQ(ev[5].value, -1.0f / 3);

  // keep the events up to step 300, then append again
  TruncateEventFile(path, 300);
  EXPECT_EQ(ReadEventFile(path).size(), 6u);
  {
    EventWriter w(path);
    const std::vector<std::string> tags = {"a/x"};
    const std::vector<float> v = {7.0f};
    w.Scalars(400, 0.0, tags, v);
  }
  const std::vector<ScalarEvent> again = ReadEventFile(path, &version);
  ASSERT_EQ(again.size(), 7u);
  EXPECT_EQ(again.back().step, 400);
}

TEST(EventFileTest, CorruptAndTruncatedFilesAreRefusedSayingWhich) {
  const auto dir = testing::FreshDir("events_bad");
  const auto path = dir / "events.out.tfevents.1.test";
  {
    EventWriter w(path);
    const std::vector<std::string> tags = {"x"};
    const std::vector<float> v = {1.0f};
    w.Scalars(1, 0.0, tags, v);
  }
  const std::string good = testing::ReadFile(path);
  auto expect_error = [&](const std::string& bytes, const std::string& what) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    try {
      ReadEventFile(path);
      ADD_FAILURE() << "accepted a file that is " << what;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  std::string flipped = good;
  flipped[flipped.size() - 6] ^= 0x01;  // inside the last payload
  expect_error(flipped, "bad data checksum");
  expect_error(good.substr(0, good.size() - 3), "truncated");
  std::string len_flip = good;
  len_flip[0] ^= 0x01;  // the first record's length
  expect_error(len_flip, "bad length checksum");
}

// Splits a CSV line into cells.
std::vector<std::string> Cells(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string c;
  while (std::getline(ss, c, ',')) out.push_back(c);
  if (!line.empty() && line.back() == ',') out.push_back("");
  return out;
}

TEST(RunLogTest, JsonlAndEventsCarryTheCsvRows) {
  const auto dir = testing::FreshDir("runlog");
  ResolveOptions o;
  o.algo = "ppo";
  o.env = "CartPole-v1";
  o.seed = 2;
  o.steps = 2560;
  RunConfig cfg = ResolveRunConfig(o);
  const TrainResult res = Train(cfg, dir, {});
  ASSERT_TRUE(res.eval);

  std::ifstream csv(dir / "progress.csv"), jsonl(dir / "progress.jsonl");
  std::string header, line, json;
  std::getline(csv, header);
  const std::vector<std::string> cols = Cells(header);
  EXPECT_EQ(cols, ProgressColumns());
  std::map<std::pair<std::string, int64_t>, float> scalars;
  for (const ScalarEvent& e : ReadEventFile(FindEventFile(dir))) scalars[{e.tag, e.step}] = e.value;
  int rows = 0;
  while (std::getline(csv, line)) {
    ASSERT_TRUE(std::getline(jsonl, json)) << "progress.jsonl has fewer rows";
    const std::vector<std::string> cells = Cells(line);
    ASSERT_EQ(cells.size(), cols.size());
    std::string expect = "{";
    for (size_t c = 0; c < cols.size(); ++c)
      expect += fmt::format("{}\"{}\":{}", c ? "," : "", cols[c], cells[c].empty() ? "null" : cells[c]);
    EXPECT_EQ(json, expect + "}");
    const int64_t step = std::stoll(cells[1]);
    // every defined column but steps is a scalar at that step, equal to the CSV value as a float
    for (size_t c = 0; c < cols.size(); ++c) {
      if (cols[c] == "steps" || cells[c].empty()) continue;
      const std::string tag = (cols[c] == "episodes" || cols[c].starts_with("ep_")) ? "rollout/" + cols[c]
                              : (cols[c] == "update" || cols[c] == "wall_time") ? "time/" + cols[c]
                              : cols[c].starts_with("eval_")                    ? "eval/" + cols[c].substr(5)
                                                                                 : "train/" + cols[c];
      const auto it = scalars.find({tag, step});
      ASSERT_NE(it, scalars.end()) << tag << " at " << step;
      if (cols[c] == "wall_time") {
        EXPECT_NEAR(it->second, std::stod(cells[c]), 6e-4);  // the CSV rounds to milliseconds
      } else {
        // the CSV holds 9 significant digits of the double: equal up to float rounding
        EXPECT_FLOAT_EQ(it->second, static_cast<float>(std::stod(cells[c]))) << tag;
      }
    }
    ++rows;
  }
  EXPECT_FALSE(std::getline(jsonl, json)) << "progress.jsonl has more rows";
  EXPECT_EQ(rows, res.updates);
  const auto eval = scalars.find({"eval/return_mean", res.steps});
  ASSERT_NE(eval, scalars.end());
  EXPECT_EQ(eval->second, static_cast<float>(res.eval->mean));
  const std::string ej = testing::ReadFile(dir / "eval.json");
  EXPECT_NE(ej.find(fmt::format("\"mean\":{:.9g}", res.eval->mean)), std::string::npos) << ej;
  // the stochastic evaluation of the same episodes, in the events, eval.json and what runs read back
  ASSERT_TRUE(res.eval_stochastic.has_value());
  EXPECT_EQ(res.eval_stochastic->returns.size(), res.eval->returns.size());
  const auto st = scalars.find({"eval/stochastic_return_mean", res.steps});
  ASSERT_NE(st, scalars.end());
  EXPECT_EQ(st->second, static_cast<float>(res.eval_stochastic->mean));
  EXPECT_NE(ej.find(fmt::format("\"stochastic_mean\":{:.9g}", res.eval_stochastic->mean)), std::string::npos) << ej;
  const RunRecord rec = ReadRun(dir);
  ASSERT_TRUE(rec.eval_stochastic_mean.has_value());
  EXPECT_DOUBLE_EQ(*rec.eval_stochastic_mean, std::stod(fmt::format("{:.9g}", res.eval_stochastic->mean)));
}

}  // namespace
}  // namespace ratchet
