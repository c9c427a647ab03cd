// Ratchet drawing: the animated GIF writer behind `ratchet eval --gif` and RecordGif. (The 2-D
// canvas and the headless MuJoCo renderer that environments draw with are internal, src/draw/.)
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace ratchet {

// Writes an animated, looping GIF: each RGB frame (height, width, 3; rows top-down) is quantised
// to its own 256-colour palette. Frames are encoded in memory and Close() writes the file in one
// go through Ratchet's atomic file writer, so an interrupted run leaves no half-written GIF.
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
  std::filesystem::path path_;
  int width_, height_, delay_cs_, frames_ = 0;
  void* gif_ = nullptr;  // GifFileType*
  std::vector<uint8_t> bytes_;  // the encoded file so far
};

}  // namespace ratchet
