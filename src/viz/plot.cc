// Learning-curve plots with Cairo: panels per environment, a colour per algorithm, mean curves
// with shaded bands, legends and axes with round tick values.
#include <cairo/cairo-svg.h>
#include <cairo/cairo.h>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "ratchet/core.h"
#include "ratchet/viz.h"

namespace ratchet {

namespace {

double Interp(const Curve& c, double x) {
  const auto it = std::lower_bound(c.steps.begin(), c.steps.end(), x);
  if (it == c.steps.begin()) return c.returns.front();
  if (it == c.steps.end()) return c.returns.back();
  const size_t k = it - c.steps.begin();
  const double x0 = c.steps[k - 1], x1 = c.steps[k];
  const double t = x1 > x0 ? (x - x0) / (x1 - x0) : 1.0;
  return c.returns[k - 1] + t * (c.returns[k] - c.returns[k - 1]);
}

// Percentile of sorted values (linear between order statistics).
double Percentile(const std::vector<double>& sorted, double q) {
  const double pos = q * (sorted.size() - 1);
  const size_t k = static_cast<size_t>(pos);
  if (k + 1 >= sorted.size()) return sorted.back();
  return sorted[k] + (pos - k) * (sorted[k + 1] - sorted[k]);
}

// Round tick positions covering [lo, hi]: steps of 1, 2 or 5 times a power of ten.
std::vector<double> Ticks(double lo, double hi, int target) {
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) {
      step = m * mag;
      break;
    }
  std::vector<double> t;
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step)
    t.push_back(std::abs(v) < 1e-12 * step ? 0.0 : v);
  return t;
}

std::string StepLabel(double v) {
  const double a = std::abs(v);
  if (a >= 1e6) return fmt::format("{:g}M", v / 1e6);
  if (a >= 1e3) return fmt::format("{:g}k", v / 1e3);
  return fmt::format("{:g}", v);
}

struct Rgbf {
  double r, g, b;
};
// Matplotlib's "tab10" colours.
constexpr Rgbf kPalette[] = {{0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173},
                             {0.839, 0.153, 0.157}, {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294},
                             {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498}, {0.737, 0.741, 0.133},
                             {0.090, 0.745, 0.812}};

void Text(cairo_t* cr, const std::string& s, double x, double y, double size, double align_x,
          double align_y, bool bold = false) {
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  cairo_move_to(cr, x - align_x * e.width - e.x_bearing, y - align_y * e.height - e.y_bearing);
  cairo_show_text(cr, s.c_str());
}

struct Group {
  std::string algo;
  std::vector<const Curve*> runs;
  AggregatedCurve agg;
};

void DrawPanel(cairo_t* cr, double x0, double y0, double w, double h, const std::string& env,
               const std::vector<Group>& groups, const std::vector<std::string>& algos,
               const PlotOptions& opt) {
  // data range
  double xmin = 0, xmax = 0, ymin = INFINITY, ymax = -INFINITY;
  for (const Group& g : groups) {
    xmax = std::max(xmax, g.agg.steps.back());
    for (size_t k = 0; k < g.agg.steps.size(); ++k) {
      ymin = std::min(ymin, g.agg.lo[k]);
      ymax = std::max(ymax, g.agg.hi[k]);
      if (opt.show_runs)
        for (const auto& r : g.agg.runs) {
          ymin = std::min(ymin, r[k]);
          ymax = std::max(ymax, r[k]);
        }
    }
  }
  if (xmax <= xmin) xmax = xmin + 1;
  if (ymax - ymin < 1e-9) {
    ymin -= 1;
    ymax += 1;
  }
  const double pad = 0.05 * (ymax - ymin);
  ymin -= pad;
  ymax += pad;
  const double left = x0 + 70, right = x0 + w - 24, top = y0 + 34, bottom = y0 + h - 52;
  auto X = [&](double v) { return left + (v - xmin) / (xmax - xmin) * (right - left); };
  auto Y = [&](double v) { return bottom - (v - ymin) / (ymax - ymin) * (bottom - top); };

  // grid, ticks and labels
  cairo_set_line_width(cr, 1.0);
  for (double t : Ticks(xmin, xmax, 5)) {
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, X(t), top);
    cairo_line_to(cr, X(t), bottom);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    Text(cr, StepLabel(t), X(t), bottom + 6, 12, 0.5, 0.0);
  }
  for (double t : Ticks(ymin, ymax, 5)) {
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, left, Y(t));
    cairo_line_to(cr, right, Y(t));
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    Text(cr, fmt::format("{:g}", t), left - 6, Y(t), 12, 1.0, 0.5);
  }
  cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_stroke(cr);
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  Text(cr, env, (left + right) / 2, y0 + 10, 15, 0.5, 0.0, true);
  Text(cr, "environment steps", (left + right) / 2, bottom + 26, 13, 0.5, 0.0);
  cairo_save(cr);
  cairo_translate(cr, x0 + 16, (top + bottom) / 2);
  cairo_rotate(cr, -M_PI / 2);
  Text(cr, opt.y_label, 0, 0, 13, 0.5, 0.5);
  cairo_restore(cr);

  // curves, clipped to the plot area
  cairo_save(cr);
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_clip(cr);
  for (const Group& g : groups) {
    const size_t ci = std::find(algos.begin(), algos.end(), g.algo) - algos.begin();
    const Rgbf c = kPalette[ci % std::size(kPalette)];
    const AggregatedCurve& a = g.agg;
    cairo_set_source_rgba(cr, c.r, c.g, c.b, 0.2);
    cairo_move_to(cr, X(a.steps[0]), Y(a.hi[0]));
    for (size_t k = 1; k < a.steps.size(); ++k) cairo_line_to(cr, X(a.steps[k]), Y(a.hi[k]));
    for (size_t k = a.steps.size(); k-- > 0;) cairo_line_to(cr, X(a.steps[k]), Y(a.lo[k]));
    cairo_close_path(cr);
    cairo_fill(cr);
    if (opt.show_runs) {
      cairo_set_line_width(cr, 0.8);
      cairo_set_source_rgba(cr, c.r, c.g, c.b, 0.45);
      for (const auto& r : a.runs) {
        cairo_move_to(cr, X(a.steps[0]), Y(r[0]));
        for (size_t k = 1; k < a.steps.size(); ++k) cairo_line_to(cr, X(a.steps[k]), Y(r[k]));
        cairo_stroke(cr);
      }
    }
    cairo_set_line_width(cr, 2.0);
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_move_to(cr, X(a.steps[0]), Y(a.mean[0]));
    for (size_t k = 1; k < a.steps.size(); ++k) cairo_line_to(cr, X(a.steps[k]), Y(a.mean[k]));
    cairo_stroke(cr);
  }
  cairo_restore(cr);

  // legend: in the corner of the plot area that covers the fewest curve and band points
  const std::string band = opt.band == Band::kStd ? "± std" : "95% CI";
  const double lw = 196, lh = 18.0 * groups.size() + 4;
  double best_x = left + 6, best_y = top + 3;
  int best_hits = -1;
  for (const auto& [cx, cy] : {std::pair{left + 6, top + 3}, std::pair{right - lw - 6, bottom - lh - 3},
                               std::pair{right - lw - 6, top + 3}, std::pair{left + 6, bottom - lh - 3}}) {
    int hits = 0;
    for (const Group& g : groups)
      for (size_t k = 0; k < g.agg.steps.size(); ++k) {
        const double px = X(g.agg.steps[k]);
        if (px < cx || px > cx + lw) continue;
        const double y0 = Y(g.agg.hi[k]), y1 = Y(g.agg.lo[k]);  // the band spans y0..y1 (y down)
        hits += y1 >= cy && y0 <= cy + lh;
      }
    if (best_hits < 0 || hits < best_hits) {
      best_hits = hits;
      best_x = cx;
      best_y = cy;
    }
  }
  double ly = best_y + 11;
  cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
  cairo_rectangle(cr, best_x, best_y, lw, lh);
  cairo_fill(cr);
  for (const Group& g : groups) {
    const size_t ci = std::find(algos.begin(), algos.end(), g.algo) - algos.begin();
    const Rgbf c = kPalette[ci % std::size(kPalette)];
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_set_line_width(cr, 3.0);
    cairo_move_to(cr, best_x + 4, ly);
    cairo_line_to(cr, best_x + 26, ly);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    Text(cr, fmt::format("{} (n={}, {})", g.algo, g.runs.size(), band), best_x + 32, ly, 12, 0.0, 0.5);
    ly += 18;
  }
}

}  // namespace

AggregatedCurve Aggregate(const std::vector<const Curve*>& runs, Band band, int points, int resamples) {
  RATCHET_CHECK(!runs.empty() && points >= 2, "Aggregate needs runs and at least 2 points");
  double lo = -INFINITY, hi = INFINITY;
  for (const Curve* c : runs) {
    if (c->steps.empty()) throw Error(fmt::format("a {} run on {} has no finished episodes yet", c->algo, c->env));
    lo = std::max(lo, c->steps.front());
    hi = std::min(hi, c->steps.back());
  }
  if (hi < lo)
    throw Error(fmt::format("the {} runs on {} share no range of steps", runs[0]->algo, runs[0]->env));
  AggregatedCurve a;
  const int n = hi > lo ? points : 1;
  for (int k = 0; k < n; ++k) a.steps.push_back(n == 1 ? lo : lo + (hi - lo) * k / (n - 1));
  for (const Curve* c : runs) {
    std::vector<double> y;
    for (double x : a.steps) y.push_back(Interp(*c, x));
    a.runs.push_back(std::move(y));
  }
  const size_t m = runs.size();
  Rng rng(0, 0);
  std::vector<double> col(m), means(resamples);
  for (size_t k = 0; k < a.steps.size(); ++k) {
    double mean = 0;
    for (size_t r = 0; r < m; ++r) mean += (col[r] = a.runs[r][k]);
    mean /= m;
    a.mean.push_back(mean);
    if (band == Band::kStd) {
      double v = 0;
      for (double x : col) v += (x - mean) * (x - mean);
      const double sd = m > 1 ? std::sqrt(v / (m - 1)) : 0.0;
      a.lo.push_back(mean - sd);
      a.hi.push_back(mean + sd);
    } else {
      for (int b = 0; b < resamples; ++b) {
        double s = 0;
        for (size_t r = 0; r < m; ++r) s += col[rng.Below(m)];
        means[b] = s / m;
      }
      std::sort(means.begin(), means.end());
      a.lo.push_back(Percentile(means, 0.025));
      a.hi.push_back(Percentile(means, 0.975));
    }
  }
  return a;
}

void PlotLearningCurves(const std::vector<Curve>& runs, const PlotOptions& opt,
                        const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext != ".png" && ext != ".svg")
    throw Error(fmt::format("cannot plot to '{}': the file name must end in .png or .svg", path.string()));
  if (runs.empty()) throw Error("nothing to plot: no runs");
  std::vector<std::string> envs, algos;
  for (const Curve& c : runs) {
    if (std::find(envs.begin(), envs.end(), c.env) == envs.end()) envs.push_back(c.env);
    if (std::find(algos.begin(), algos.end(), c.algo) == algos.end()) algos.push_back(c.algo);
  }
  std::vector<std::vector<Group>> panels(envs.size());
  for (size_t e = 0; e < envs.size(); ++e) {
    for (const std::string& algo : algos) {
      Group g{algo, {}, {}};
      for (const Curve& c : runs)
        if (c.env == envs[e] && c.algo == algo) g.runs.push_back(&c);
      if (g.runs.empty()) continue;
      g.agg = Aggregate(g.runs, opt.band);
      panels[e].push_back(std::move(g));
    }
  }
  const int cols = std::min<int>(3, envs.size()), rows = (envs.size() + cols - 1) / cols;
  const double title_h = opt.title.empty() ? 0 : 36;
  const int W = cols * opt.panel_width, H = static_cast<int>(rows * opt.panel_height + title_h);
  const std::string tmp = path.string() + ".tmp";
  cairo_surface_t* surface = ext == ".png" ? cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H)
                                           : cairo_svg_surface_create(tmp.c_str(), W, H);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  if (!opt.title.empty()) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    // shrink a long title to the figure's width
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 18);
    cairo_text_extents_t e;
    cairo_text_extents(cr, opt.title.c_str(), &e);
    const double size = e.width > W - 20 ? 18 * (W - 20) / e.width : 18;
    Text(cr, opt.title, W / 2.0, 10, size, 0.5, 0.0, true);
  }
  for (size_t e = 0; e < envs.size(); ++e)
    DrawPanel(cr, (e % cols) * opt.panel_width, title_h + (e / cols) * opt.panel_height, opt.panel_width,
              opt.panel_height, envs[e], panels[e], algos, opt);
  cairo_destroy(cr);
  cairo_status_t st = CAIRO_STATUS_SUCCESS;
  if (ext == ".png") {
    st = cairo_surface_write_to_png(surface, tmp.c_str());
    cairo_surface_destroy(surface);
  } else {
    cairo_surface_finish(surface);
    st = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
  }
  if (st != CAIRO_STATUS_SUCCESS) {
    std::filesystem::remove(tmp);
    throw Error(fmt::format("cannot write '{}': {}", path.string(), cairo_status_to_string(st)));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(fmt::format("cannot write '{}': {}", path.string(), ec.message()));
}

}  // namespace ratchet
