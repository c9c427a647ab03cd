// Internal: headless rendering of a MuJoCo model through OSMesa (software OpenGL). One renderer
// owns one OSMesa context and must be used from the thread that created it.
#pragma once

#include <mujoco/mujoco.h>

#include <cstdint>
#include <vector>

namespace ratchet {

// The camera of a task's GIFs: centred on body `track_body`'s subtree centre of mass in every
// frame, or, when it is 0, looking at (0, 0, lookat_z).
struct CameraConfig {
  int track_body = 1;
  double distance = 4.0;
  double elevation = -20.0;
  double azimuth = 90.0;
  double lookat_z = 0.0;
};

class MujocoRenderer {
 public:
  // Throws Error when no OSMesa context can be created.
  MujocoRenderer(const mjModel* model, int width, int height);
  ~MujocoRenderer();
  MujocoRenderer(const MujocoRenderer&) = delete;
  MujocoRenderer& operator=(const MujocoRenderer&) = delete;

  // rgb: (height, width, 3), rows top-down.
  void Render(const mjModel* model, mjData* data, const CameraConfig& camera, std::vector<uint8_t>* rgb);

 private:
  int width_, height_;
  void* ctx_ = nullptr;  // OSMesaContext
  std::vector<unsigned char> buffer_;
  mjvScene scene_;
  mjvCamera cam_;
  mjvOption opt_;
  mjrContext con_;
  std::vector<unsigned char> flipped_;
};

}  // namespace ratchet
