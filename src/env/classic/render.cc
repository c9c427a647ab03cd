// Frames of the classic-control environments in the reference renderers' geometry
// (see docs/ENVIRONMENTS.md#conventions), drawn with Cairo. Anti-aliasing and
// the Pendulum torque arrow (an image asset) are not reproduced.
#include <cmath>
#include <numbers>

#include "env/classic/acrobot.h"
#include "env/classic/cartpole.h"
#include "env/classic/cartpole_swingup.h"
#include "env/classic/mountain_car.h"
#include "env/classic/pendulum.h"
#include "draw/canvas.h"

namespace ratchet {
namespace {

constexpr Rgb kBlack = {0, 0, 0};

std::vector<Point> Transformed(const std::vector<Point>& pts, double angle, double dx, double dy) {
  std::vector<Point> out;
  for (const Point& p : pts) out.push_back(Canvas::Rotate(p, angle, dx, dy));
  return out;
}

}  // namespace

void CartPole::Render(int width, int height, std::vector<uint8_t>* rgb) {
  Canvas c(width, height, 600, 400);
  const double scale = 600 / (kXThreshold * 2);
  const double cartx = s_[0] * scale + 300, carty = 100;
  c.Polygon({{cartx - 25, carty - 15}, {cartx - 25, carty + 15}, {cartx + 25, carty + 15}, {cartx + 25, carty - 15}}, kBlack);
  const double axle = 30 / 4.0;
  c.Polygon(Transformed({{-5, -5}, {-5, 120}, {5, 120}, {5, -5}}, -s_[2], cartx, carty + axle), {202, 152, 101});
  c.Circle(std::trunc(cartx), std::trunc(carty + axle), 5, {129, 132, 203});
  c.Line(0, carty, 600, carty, kBlack);
  c.ToRgb(rgb);
}

void Pendulum::Render(int width, int height, std::vector<uint8_t>* rgb) {
  Canvas c(width, height, 500, 500);
  const double scale = 500 / (2 * 2.2), offset = 250;
  const double L = 1 * scale, w = 0.2 * scale, angle = s_[0] + std::numbers::pi / 2;
  const Rgb red = {204, 77, 77};
  c.Polygon(Transformed({{0, -w / 2}, {0, w / 2}, {L, w / 2}, {L, -w / 2}}, angle, offset, offset), red);
  c.Circle(offset, offset, std::trunc(w / 2), red);
  const Point end = Canvas::Rotate({L, 0}, angle, offset, offset);
  c.Circle(std::trunc(end.first), std::trunc(end.second), std::trunc(w / 2), red);
  c.Circle(offset, offset, std::trunc(0.05 * scale), kBlack);
  c.ToRgb(rgb);
}

void Acrobot::Render(int width, int height, std::vector<uint8_t>* rgb) {
  Canvas c(width, height, 500, 500);
  const double scale = 500 / 4.4, offset = 250;
  c.Line(-2.2 * scale + offset, 1 * scale + offset, 2.2 * scale + offset, 1 * scale + offset, kBlack);
  const double t1 = s_[0], t2 = s_[1];
  const Point p0 = {offset, offset};
  const Point p1 = {std::sin(t1) * scale + offset, -std::cos(t1) * scale + offset};
  const double angles[2] = {t1 - std::numbers::pi / 2, t1 + t2 - std::numbers::pi / 2};
  const Point starts[2] = {p0, p1};
  for (int k = 0; k < 2; ++k) {
    c.Polygon(Transformed({{0, -0.1 * scale}, {0, 0.1 * scale}, {scale, 0.1 * scale}, {scale, -0.1 * scale}},
                          angles[k], starts[k].first, starts[k].second),
              {0, 204, 204});
    c.Circle(std::trunc(starts[k].first), std::trunc(starts[k].second), std::trunc(0.1 * scale), {204, 204, 0});
  }
  c.ToRgb(rgb);
}

void MountainCarContinuous::Render(int width, int height, std::vector<uint8_t>* rgb) {
  Canvas c(width, height, 600, 400);
  const double scale = 600 / (kMaxPosition - kMinPosition);
  auto h = [](double x) { return std::sin(3 * x) * 0.45 + 0.55; };
  std::vector<Point> hill;
  for (int i = 0; i < 100; ++i) {
    const double x = kMinPosition + (kMaxPosition - kMinPosition) * i / 99.0;
    hill.push_back({(x - kMinPosition) * scale, h(x) * scale});
  }
  c.Polyline(hill, kBlack);
  const double pos = s_[0], angle = std::cos(3 * pos), clearance = 10;
  const double dx = (pos - kMinPosition) * scale, dy = clearance + h(pos) * scale;
  c.Polygon(Transformed({{-20, 0}, {-20, 20}, {20, 20}, {20, 0}}, angle, dx, dy), kBlack);
  for (double wx : {10.0, -10.0}) {
    const Point w = Canvas::Rotate({wx, 0}, angle, dx, dy);
    c.Circle(std::trunc(w.first), std::trunc(w.second), 8, {128, 128, 128});
  }
  const double flagx = std::trunc((kGoalPosition - kMinPosition) * scale);
  const double flagy1 = std::trunc(h(kGoalPosition) * scale), flagy2 = flagy1 + 50;
  c.Line(flagx, flagy1, flagx, flagy2, kBlack);
  c.Polygon({{flagx, flagy2}, {flagx, flagy2 - 10}, {flagx + 25, flagy2 - 5}}, {204, 204, 0});
  c.ToRgb(rgb);
}

void CartPoleSwingUp::Render(int width, int height, std::vector<uint8_t>* rgb) {
  Canvas c(width, height, 600, 400);
  const double scale = 120, cx = s_[0] * scale + 300, cy = 200;
  c.Line(0, 185, 600, 185, kBlack);
  c.Polygon({{cx - 20, cy - 10}, {cx - 20, cy + 10}, {cx + 20, cy + 10}, {cx + 20, cy - 10}}, {255, 0, 0});
  c.Circle(cx - 20, cy - 10, 5, kBlack);
  c.Circle(cx + 20, cy - 10, 5, kBlack);
  c.Polygon(Transformed({{-3, -3}, {-3, 69}, {3, 69}, {3, -3}}, s_[2], cx, cy), {0, 0, 255});
  c.Circle(cx, cy, 3, {26, 255, 255});
  // the reference's "pole bob" sits within 0.6 px of the axle (a quirk it keeps)
  c.Circle(cx - 0.6 * std::sin(s_[2]), cy + 0.6 * std::cos(s_[2]), 3, kBlack);
  c.ToRgb(rgb);
}

}  // namespace ratchet
