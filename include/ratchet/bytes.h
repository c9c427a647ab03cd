// Ratchet's binary writer and reader: model files, checkpoints and saved environment states.
// Values are stored in the machine's byte order (files move between like machines only).
// Every size read is checked against the bytes left before anything is allocated.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <cstdio>
#include <string>
#include <vector>

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
    if (!v.empty()) std::memcpy(buf.data() + n, v.data(), v.size_bytes());
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
      throw Error(what_ + " holds " + std::to_string(n) + " " + name + " values but " +
                  std::to_string(dst.size()) + " are expected; does it belong to this configuration?");
    if (n > (bytes_.size() - pos_) / sizeof(T)) throw Error(what_ + " is truncated");
    if (n > 0) std::memcpy(dst.data(), bytes_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
  }
  // GetArray of floating-point values that must be finite and within [lo, hi]: saved state that
  // is not is corrupt, and the Error names the field, the index and the value.
  template <typename T>
  void GetCheckedArray(std::span<T> dst, const char* name, double lo = -1e30, double hi = 1e30) {
    GetArray(dst, name);
    for (size_t i = 0; i < dst.size(); ++i) {
      const double v = static_cast<double>(dst[i]);
      if (!(v >= lo && v <= hi))  // NaN fails too
        throw Error(what_ + " is corrupt: " + name + " " + std::to_string(i) + " is " + Num(v) + ", outside [" +
                    Num(lo) + ", " + Num(hi) + "]");
    }
  }
  // A value that must lie within [lo, hi] (saved state that does not is corrupt).
  template <typename T>
  T GetChecked(const char* name, T lo, T hi) {
    const T v = Get<T>();
    if (!(v >= lo && v <= hi))
      throw Error(what_ + " is corrupt: " + name + " is " + Num(static_cast<double>(v)) + ", outside [" +
                  Num(static_cast<double>(lo)) + ", " + Num(static_cast<double>(hi)) + "]");
    return v;
  }
  static std::string Num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
  }
  // A length-prefixed array of any length.
  template <typename T>
  std::vector<T> GetVector() {
    const uint64_t n = Get<uint64_t>();
    if (n > (bytes_.size() - pos_) / sizeof(T)) throw Error(what_ + " is truncated");
    std::vector<T> v(n);
    if (n > 0) std::memcpy(v.data(), bytes_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
    return v;
  }
  bool AtEnd() const { return pos_ == bytes_.size(); }
  // Throws unless every byte was read.
  void ExpectEnd() const {
    if (pos_ != bytes_.size())
      throw Error(what_ + " has " + std::to_string(bytes_.size() - pos_) +
                  " unexpected trailing bytes; was it written by something else?");
  }

 private:
  void Need(size_t n) const {
    if (n > bytes_.size() - pos_) throw Error(what_ + " is truncated");
  }
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;

  std::string what_;
};

}  // namespace ratchet
