// Ratchet visualisation: GIF writing (giflib) for rendered episodes, learning-curve plots
// (Cairo, PNG or SVG).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

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

//---------------------------------- Learning curves -------------------------------------------

// One run's learning curve: episode return against environment steps (steps increasing).
struct Curve {
  std::string algo, env;
  std::vector<double> steps, returns;
};

enum class Band { kStd, kBootstrapCi };

// The runs of one group on a common grid: `points` evenly spaced steps over the range every
// run covers, each run linearly interpolated there; mean, and a band of mean +- sample std or
// the 95% percentile-bootstrap confidence interval of the mean (`resamples` resamples of the
// runs, from a fixed seed). Throws Error when the runs share no range of steps.
struct AggregatedCurve {
  std::vector<double> steps, mean, lo, hi;
  std::vector<std::vector<double>> runs;  // each run on the grid
};
AggregatedCurve Aggregate(const std::vector<const Curve*>& runs, Band band, int points = 200,
                          int resamples = 1000);

struct PlotOptions {
  std::string title;
  Band band = Band::kStd;
  bool show_runs = false;  // also draw every run, thin
  int panel_width = 560, panel_height = 400;
};

// Draws one panel per environment (first-seen order, up to 3 per row) with one colour per
// algorithm: the mean curve, its shaded band, optionally the runs; legend (with the number of
// runs), axis labels, panel and figure titles. The format follows the extension: .png or .svg.
// Written to a temporary file and renamed. Throws Error for another extension or no curves.
void PlotLearningCurves(const std::vector<Curve>& runs, const PlotOptions& opt,
                        const std::filesystem::path& path);

}  // namespace ratchet
