// TensorBoard event files: TFRecord framing with masked CRC-32C around Event protobufs.
#include <array>
#include <fmt/format.h>
#include <unistd.h>

#include "ratchet/core.h"
#include "core/file.h"
#include "ratchet/log.h"
#include "tensorboard.pb.h"

namespace ratchet {

namespace {

constexpr const char* kFileVersion = "brain.Event:2";

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}

template <typename T>
void PutLe(std::string& s, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

template <typename T>
T GetLe(const uint8_t* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(p[i]) << (8 * i);
  return v;
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// The payloads of every record of an event file, CRCs checked.
std::vector<std::string> ReadRecords(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read event file '{}'", path.string()));
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t k = out.size();
    if (data.size() - pos < 12)
      throw Error(fmt::format("event file '{}' is truncated in the header of record {}", path.string(), k));
    const uint64_t len = GetLe<uint64_t>(p + pos);
    if (GetLe<uint32_t>(p + pos + 8) != MaskedCrc32c({p + pos, 8}))
      throw Error(fmt::format("event file '{}': record {} has a bad length checksum", path.string(), k));
    if (data.size() - pos - 12 < len + 4)
      throw Error(fmt::format("event file '{}' is truncated in record {}", path.string(), k));
    const std::span<const uint8_t> payload(p + pos + 12, len);
    if (GetLe<uint32_t>(p + pos + 12 + len) != MaskedCrc32c(payload))
      throw Error(fmt::format("event file '{}': record {} has a bad data checksum", path.string(), k));
    out.emplace_back(data.data() + pos + 12, len);
    pos += 12 + len + 4;
  }
  return out;
}

std::string Frame(const std::string& payload) {
  std::string rec;
  PutLe<uint64_t>(rec, payload.size());
  PutLe<uint32_t>(rec, MaskedCrc32c(Bytes(rec)));
  rec += payload;
  PutLe<uint32_t>(rec, MaskedCrc32c(Bytes(payload)));
  return rec;
}

tb::Event ParseEvent(const std::string& payload, const std::filesystem::path& path, size_t k) {
  tb::Event e;
  if (!e.ParseFromString(payload))
    throw Error(fmt::format("event file '{}': record {} is not an Event message", path.string(), k));
  return e;
}

}  // namespace

uint32_t Crc32c(std::span<const uint8_t> data) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t b : data) c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t MaskedCrc32c(std::span<const uint8_t> data) {
  const uint32_t c = Crc32c(data);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

EventWriter::EventWriter(const std::filesystem::path& path) : path_(path) {
  const bool fresh = !std::filesystem::exists(path) || std::filesystem::file_size(path) == 0;
  out_.open(path, std::ios::binary | std::ios::app);
  if (!out_) throw Error(fmt::format("cannot write event file '{}'", path.string()));
  if (fresh) {
    tb::Event e;
    e.set_wall_time(0.0);
    e.set_step(0);
    e.set_file_version(kFileVersion);
    Record(e.SerializeAsString());
    Flush();
  }
}

void EventWriter::Record(const std::string& payload) { out_ << Frame(payload); }

void EventWriter::Scalars(int64_t step, double wall_time, std::span<const std::string> tags,
                          std::span<const float> values) {
  RATCHET_CHECK(tags.size() == values.size(), "EventWriter::Scalars sizes");
  tb::Event e;
  e.set_wall_time(wall_time);
  e.set_step(step);
  tb::Summary* s = e.mutable_summary();
  for (size_t i = 0; i < tags.size(); ++i) {
    tb::SummaryValue* v = s->add_value();
    v->set_tag(tags[i]);
    v->set_simple_value(values[i]);
  }
  Record(e.SerializeAsString());
}

void EventWriter::Flush() {
  out_.flush();
  if (!out_) throw Error(fmt::format("cannot write event file '{}'", path_.string()));
}

std::vector<ScalarEvent> ReadEventFile(const std::filesystem::path& path, std::string* file_version) {
  const std::vector<std::string> records = ReadRecords(path);
  std::vector<ScalarEvent> out;
  for (size_t k = 0; k < records.size(); ++k) {
    const tb::Event e = ParseEvent(records[k], path, k);
    if (e.has_file_version() && file_version != nullptr) *file_version = e.file_version();
    if (!e.has_summary()) continue;
    for (const tb::SummaryValue& v : e.summary().value())
      out.push_back({v.tag(), e.step(), e.wall_time(), v.simple_value()});
  }
  return out;
}

void TruncateEventFile(const std::filesystem::path& path, int64_t max_step) {
  const std::vector<std::string> records = ReadRecords(path);
  std::string kept;
  for (size_t k = 0; k < records.size(); ++k) {
    const tb::Event e = ParseEvent(records[k], path, k);
    if (e.has_file_version() || e.step() <= max_step) kept += Frame(records[k]);
  }
  WriteFileAtomically(path, kept, "TensorBoard event file");
}

std::filesystem::path FindEventFile(const std::filesystem::path& run_dir) {
  std::filesystem::path found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(run_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("events.out.tfevents.") && !name.ends_with(".tmp") &&
        (found.empty() || entry.path() < found))
      found = entry.path();
  }
  return found;
}

}  // namespace ratchet
