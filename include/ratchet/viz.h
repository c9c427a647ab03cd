// Ratchet visualisation: learning-curve plots (Cairo, PNG or SVG) from run directories.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace ratchet {

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
  std::string y_label = "episode return";
};

// Draws one panel per environment (first-seen order, up to 3 per row) with one colour per
// algorithm: the mean curve, its shaded band, optionally the runs; legend (with the number of
// runs), axis labels, panel and figure titles. The format follows the extension: .png or .svg.
// Written to a temporary file and renamed. Throws Error for another extension or no curves.
void PlotLearningCurves(const std::vector<Curve>& runs, const PlotOptions& opt,
                        const std::filesystem::path& path);

}  // namespace ratchet
