// Internal: a 2-D canvas (Cairo) for the classic-control renderers. Shapes are given in the
// reference renderers' pixel frame, y up with the origin bottom-left, at the reference screen
// size; the canvas scales them to the requested frame size.
#pragma once

#include <cairo/cairo.h>

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace ratchet {

using Rgb = std::array<int, 3>;  // 0..255
using Point = std::pair<double, double>;

class Canvas {
 public:
  // A white frame of width x height pixels showing a reference screen of ref_w x ref_h.
  Canvas(int width, int height, double ref_w, double ref_h);
  ~Canvas();
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  void Polygon(const std::vector<Point>& pts, Rgb color);
  void Circle(double x, double y, double r, Rgb color);
  void Line(double x0, double y0, double x1, double y1, Rgb color);
  void Polyline(const std::vector<Point>& pts, Rgb color);
  // The frame as (height, width, 3) RGB, rows top-down.
  void ToRgb(std::vector<uint8_t>* rgb);

  // p rotated counter-clockwise by angle, then translated by (dx, dy)
  static Point Rotate(Point p, double angle, double dx, double dy);

 private:
  void SetColor(Rgb c);
  int width_, height_;
  cairo_surface_t* surface_;
  cairo_t* cr_;
};

}  // namespace ratchet
