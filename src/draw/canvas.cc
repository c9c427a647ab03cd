#include "draw/canvas.h"

#include <cmath>
#include <numbers>

#include "ratchet/core.h"

namespace ratchet {

Canvas::Canvas(int width, int height, double ref_w, double ref_h) : width_(width), height_(height) {
  if (width <= 0 || height <= 0 || width > 4096 || height > 4096)
    throw Error("render size " + std::to_string(width) + "x" + std::to_string(height) + " is out of range (1..4096)");
  surface_ = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
  cr_ = cairo_create(surface_);
  cairo_set_source_rgb(cr_, 1, 1, 1);
  cairo_paint(cr_);
  // y up, origin bottom-left, reference pixels
  cairo_translate(cr_, 0, height);
  cairo_scale(cr_, width / ref_w, -height / ref_h);
  cairo_set_line_width(cr_, 1.0);
}

Canvas::~Canvas() {
  cairo_destroy(cr_);
  cairo_surface_destroy(surface_);
}

void Canvas::SetColor(Rgb c) { cairo_set_source_rgb(cr_, c[0] / 255.0, c[1] / 255.0, c[2] / 255.0); }

void Canvas::Polygon(const std::vector<Point>& pts, Rgb color) {
  SetColor(color);
  cairo_move_to(cr_, pts[0].first, pts[0].second);
  for (size_t i = 1; i < pts.size(); ++i) cairo_line_to(cr_, pts[i].first, pts[i].second);
  cairo_close_path(cr_);
  cairo_fill(cr_);
}

void Canvas::Circle(double x, double y, double r, Rgb color) {
  SetColor(color);
  cairo_arc(cr_, x, y, r, 0, 2 * std::numbers::pi);
  cairo_fill(cr_);
}

void Canvas::Line(double x0, double y0, double x1, double y1, Rgb color) {
  SetColor(color);
  cairo_move_to(cr_, x0, y0);
  cairo_line_to(cr_, x1, y1);
  cairo_stroke(cr_);
}

void Canvas::Polyline(const std::vector<Point>& pts, Rgb color) {
  SetColor(color);
  cairo_move_to(cr_, pts[0].first, pts[0].second);
  for (size_t i = 1; i < pts.size(); ++i) cairo_line_to(cr_, pts[i].first, pts[i].second);
  cairo_stroke(cr_);
}

void Canvas::ToRgb(std::vector<uint8_t>* rgb) {
  cairo_surface_flush(surface_);
  const unsigned char* data = cairo_image_surface_get_data(surface_);
  const int stride = cairo_image_surface_get_stride(surface_);
  rgb->resize(static_cast<size_t>(width_) * height_ * 3);
  for (int y = 0; y < height_; ++y)
    for (int x = 0; x < width_; ++x) {
      const uint32_t px = *reinterpret_cast<const uint32_t*>(data + y * stride + 4 * x);  // xRGB
      uint8_t* out = rgb->data() + 3 * (static_cast<size_t>(y) * width_ + x);
      out[0] = (px >> 16) & 0xff;
      out[1] = (px >> 8) & 0xff;
      out[2] = px & 0xff;
    }
}

Point Canvas::Rotate(Point p, double angle, double dx, double dy) {
  const double c = std::cos(angle), s = std::sin(angle);
  return {p.first * c - p.second * s + dx, p.first * s + p.second * c + dy};
}

}  // namespace ratchet
