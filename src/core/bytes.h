// Internal: little binary writer and reader for model files and saved environment states.
// Values are stored in the machine's byte order (files move between like machines only).
#pragma once

#include <cstdint>
#include <cstring>
#include <fmt/format.h>
#include <span>
#include <string>
#include <vector>

#include "core/checksum.h"
#include "ratchet/core.h"

namespace ratchet {

class ByteWriter {
 public:
  template <typename T>
  void Put(const T& v) {
    const size_t n = buf.size();
    buf.resize(n + sizeof(T));
    std::memcpy(buf.data() + n, &v, sizeof(T));
  }
  // A length-prefixed array.
  template <typename T>
  void PutArray(std::span<const T> v) {
    Put<uint64_t>(v.size());
    const size_t n = buf.size();
    buf.resize(n + v.size_bytes());
    std::memcpy(buf.data() + n, v.data(), v.size_bytes());
  }
  std::vector<uint8_t> buf;
};

class ByteReader {
 public:
  // `what` names the source in error messages ("'model.bin'", "CartPole-v1 saved state").
  ByteReader(std::span<const uint8_t> bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}

  template <typename T>
  T Get() {
    Need(sizeof(T));
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  // A length-prefixed array that must hold exactly dst.size() elements.
  template <typename T>
  void GetArray(std::span<T> dst, const char* name) {
    const uint64_t n = Get<uint64_t>();
    if (n != dst.size())
      throw Error(fmt::format("{} holds {} {} values but {} are expected; does it belong to this "
                              "configuration?", what_, n, name, dst.size()));
    Need(n * sizeof(T));
    std::memcpy(dst.data(), bytes_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
  }
  // A length-prefixed array of any length.
  template <typename T>
  std::vector<T> GetVector() {
    const uint64_t n = Get<uint64_t>();
    if (n > bytes_.size()) throw Error(fmt::format("{} is truncated", what_));
    std::vector<T> v(n);
    Need(n * sizeof(T));
    std::memcpy(v.data(), bytes_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
    return v;
  }
  // Throws unless every byte was read.
  void ExpectEnd() const {
    if (pos_ != bytes_.size())
      throw Error(fmt::format("{} has {} unexpected trailing bytes; was it written by something else?",
                              what_, bytes_.size() - pos_));
  }

 private:
  void Need(size_t n) const {
    if (pos_ + n > bytes_.size()) throw Error(fmt::format("{} is truncated", what_));
  }
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  std::string what_;
};

}  // namespace ratchet
