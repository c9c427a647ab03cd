#include <gif_lib.h>

#include <fmt/format.h>
#include <vector>

#include "core/file.h"
#include "ratchet/core.h"
#include "ratchet/draw.h"

namespace ratchet {
namespace {

GifFileType* Gif(void* p) { return static_cast<GifFileType*>(p); }

// giflib's output callback: append to the writer's buffer
int Append(GifFileType* gif, const GifByteType* data, int n) {
  auto* out = static_cast<std::vector<uint8_t>*>(gif->UserData);
  out->insert(out->end(), data, data + n);
  return n;
}

[[noreturn]] void Fail(const std::filesystem::path& path, const char* what, int code) {
  throw Error(fmt::format("cannot write GIF '{}': {} ({})", path.string(), what, GifErrorString(code)));
}

}  // namespace

GifWriter::GifWriter(const std::filesystem::path& path, int width, int height, int delay_cs)
    : path_(path), width_(width), height_(height), delay_cs_(delay_cs) {
  if (width <= 0 || height <= 0) throw Error("GIF frames need a positive size");
  int err = 0;
  GifFileType* gif = EGifOpen(&bytes_, Append, &err);
  if (gif == nullptr) Fail(path_, "open", err);
  gif_ = gif;
  EGifSetGifVersion(gif, true);
  if (EGifPutScreenDesc(gif, width, height, 8, 0, nullptr) == GIF_ERROR) Fail(path_, "screen", gif->Error);
  // NETSCAPE2.0 application extension: loop forever
  const unsigned char app[] = "NETSCAPE2.0";
  const unsigned char loop[] = {1, 0, 0};
  if (EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
      EGifPutExtensionBlock(gif, 11, app) == GIF_ERROR || EGifPutExtensionBlock(gif, 3, loop) == GIF_ERROR ||
      EGifPutExtensionTrailer(gif) == GIF_ERROR)
    Fail(path_, "loop extension", gif->Error);
}

GifWriter::~GifWriter() {
  if (gif_ != nullptr) {
    int err = 0;
    EGifCloseFile(Gif(gif_), &err);
  }
}

void GifWriter::AddFrame(std::span<const uint8_t> rgb) {
  RATCHET_CHECK(gif_ != nullptr, "GIF already closed");
  const size_t n = static_cast<size_t>(width_) * height_;
  RATCHET_CHECK(rgb.size() == 3 * n, "GIF frame size");
  std::vector<GifByteType> r(n), g(n), b(n), idx(n);
  for (size_t i = 0; i < n; ++i) {
    r[i] = rgb[3 * i];
    g[i] = rgb[3 * i + 1];
    b[i] = rgb[3 * i + 2];
  }
  int colors = 256;
  std::vector<GifColorType> palette(256);
  if (GifQuantizeBuffer(width_, height_, &colors, r.data(), g.data(), b.data(), idx.data(), palette.data()) == GIF_ERROR)
    Fail(path_, "quantise", D_GIF_ERR_NOT_ENOUGH_MEM);
  ColorMapObject* map = GifMakeMapObject(256, palette.data());
  GifFileType* gif = Gif(gif_);
  const unsigned char gce[4] = {0x04 /* dispose: leave */, static_cast<unsigned char>(delay_cs_ & 0xff),
                                static_cast<unsigned char>(delay_cs_ >> 8), 0};
  const bool ok = EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, gce) != GIF_ERROR &&
                  EGifPutImageDesc(gif, 0, 0, width_, height_, false, map) != GIF_ERROR;
  GifFreeMapObject(map);
  if (!ok) Fail(path_, "frame header", gif->Error);
  for (int y = 0; y < height_; ++y)
    if (EGifPutLine(gif, idx.data() + static_cast<size_t>(y) * width_, width_) == GIF_ERROR)
      Fail(path_, "frame data", gif->Error);
  ++frames_;
}

void GifWriter::Close() {
  if (gif_ == nullptr) return;
  int err = 0;
  const int rc = EGifCloseFile(Gif(gif_), &err);
  gif_ = nullptr;
  if (rc == GIF_ERROR) Fail(path_, "close", err);
  WriteFileAtomically(path_, bytes_, "GIF");
}

}  // namespace ratchet
