// Ratchet visualisation: GIF writing (giflib) for rendered episodes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>

namespace ratchet {

// Writes an animated, looping GIF: each RGB frame (height, width, 3; rows top-down) is quantised
// to its own 256-colour palette. The file is written under a temporary name and renamed by
// Close(), so an interrupted run leaves no half-written GIF.
class GifWriter {
 public:
  // delay_cs: frame delay in hundredths of a second.
  GifWriter(const std::filesystem::path& path, int width, int height, int delay_cs);
  ~GifWriter();
  GifWriter(const GifWriter&) = delete;
  GifWriter& operator=(const GifWriter&) = delete;

  void AddFrame(std::span<const uint8_t> rgb);
  // Finishes the file; throws Error on an I/O failure.
  void Close();
  int frames() const { return frames_; }

 private:
  std::filesystem::path path_, tmp_;
  int width_, height_, delay_cs_, frames_ = 0;
  void* gif_ = nullptr;  // GifFileType*
};

}  // namespace ratchet
