// Ratchet's binary writer and reader: model files, checkpoints and saved environment states.
// Values are stored in the machine's byte order (files move between like machines only).
// Every size read is checked against the bytes left before anything is allocated. Saved state is
// written and read by one function per piece, Serialize(Archive&) (below).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <cstdio>
#include <limits>
#include <type_traits>
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

// Saves or restores a piece of state in one function: Serialize(Archive& ar) calls ar(field) for
// each field in order, which writes it when saving and reads it back when loading, so one list of
// fields serves both directions and a new field is one line. The archive carries the format
// version of the bytes it reads (the newest when saving): a field added in version 5 is read as
// `if (ar.version() >= 5) ar(x);`, so older files still load.
//
//   void Serialize(Archive& ar) {
//     ar(count_);                                          // a value
//     ar(std::span<float>(weights_));                      // exactly weights_.size() values
//     ar.Checked(std::span<double>(var_), "variance", 0.0);  // ... finite, within [0, 1e30] when read
//   }
template <typename T>
struct IsSpan : std::false_type {};
template <typename T, size_t N>
struct IsSpan<std::span<T, N>> : std::true_type {};

class Archive {
 public:
  static constexpr uint32_t kNewest = std::numeric_limits<uint32_t>::max();
  explicit Archive(ByteWriter& w, uint32_t version = kNewest) : w_(&w), version_(version) {}
  explicit Archive(ByteReader& r, uint32_t version = kNewest) : r_(&r), version_(version) {}
  explicit Archive(ByteWriter* w, uint32_t version = kNewest) : Archive(*w, version) {}
  explicit Archive(ByteReader* r, uint32_t version = kNewest) : Archive(*r, version) {}
  bool saving() const { return w_ != nullptr; }
  bool loading() const { return r_ != nullptr; }
  // The format version of the bytes (loading) or of the format being written (saving).
  uint32_t version() const { return version_; }

  // A trivially copyable value (not a span: its elements are the state, below).
  template <typename T>
    requires(std::is_trivially_copyable_v<T> && !std::is_array_v<T> && !IsSpan<T>::value)
  void operator()(T& v) {
    if (w_) w_->Put(v); else v = r_->Get<T>();
  }
  // A vector of any length (the length is saved).
  template <typename T>
  void operator()(std::vector<T>& v) {
    if (w_) w_->PutArray(std::span<const T>(v)); else v = r_->GetVector<T>();
  }
  // Exactly v.size() values (a different count in the bytes is an Error).
  template <typename T>
  void operator()(std::span<T> v, const char* name = "state") {
    if (w_) w_->PutArray(std::span<const T>(v.data(), v.size())); else r_->GetArray(v, name);
  }
  // A C array: exactly its N values.
  template <typename T, size_t N>
  void operator()(T (&v)[N], const char* name = "state") {
    (*this)(std::span<T>(v, N), name);
  }
  // A value that, read back, must lie within [lo, hi] (anything else is a corrupt file).
  template <typename T>
  void Checked(T& v, const char* name, T lo, T hi) {
    if (w_) w_->Put(v); else v = r_->GetChecked<T>(name, lo, hi);
  }
  // Exactly v.size() floating-point values that, read back, must be finite and within [lo, hi].
  template <typename T>
  void Checked(std::span<T> v, const char* name, double lo = -1e30, double hi = 1e30) {
    if (w_) w_->PutArray(std::span<const T>(v.data(), v.size())); else r_->GetCheckedArray(v, name, lo, hi);
  }
  // For state kept by code that speaks ByteWriter/ByteReader itself.
  ByteWriter* writer() { return w_; }
  ByteReader* reader() { return r_; }
  // Called by the default EnvBase::Serialize: the environment has no saved state.
  void MarkUnsupported() { unsupported_ = true; }
  bool unsupported() const { return unsupported_; }

 private:
  ByteWriter* w_ = nullptr;
  ByteReader* r_ = nullptr;
  uint32_t version_;
  bool unsupported_ = false;
};

// The bytes of x.Serialize (x is not changed: saving only reads it), and x restored from them.
template <typename T>
void SaveTo(ByteWriter& w, const T& x, uint32_t version = Archive::kNewest) {
  Archive ar(w, version);
  const_cast<T&>(x).Serialize(ar);
}
template <typename T>
void LoadFrom(ByteReader& r, T& x, uint32_t version = Archive::kNewest) {
  Archive ar(r, version);
  x.Serialize(ar);
}

}  // namespace ratchet
