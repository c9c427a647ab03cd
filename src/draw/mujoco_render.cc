#include "draw/mujoco_render.h"

#include <GL/osmesa.h>

#include <cmath>
#include <cstring>
#include <fmt/format.h>

#include "ratchet/core.h"

namespace ratchet {

MujocoRenderer::MujocoRenderer(const mjModel* model, int width, int height)
    : width_(width), height_(height), buffer_(static_cast<size_t>(width) * height * 4) {
  OSMesaContext ctx = OSMesaCreateContextExt(OSMESA_RGBA, 24, 8, 8, nullptr);
  if (ctx == nullptr) throw Error("cannot create an OSMesa context for headless rendering");
  ctx_ = ctx;
  if (!OSMesaMakeCurrent(ctx, buffer_.data(), GL_UNSIGNED_BYTE, width, height)) {
    OSMesaDestroyContext(ctx);
    throw Error("cannot make the OSMesa context current");
  }
  mjv_defaultScene(&scene_);
  mjv_defaultCamera(&cam_);
  mjv_defaultOption(&opt_);
  mjr_defaultContext(&con_);
  mjv_makeScene(model, &scene_, 2000);
  // the offscreen buffer must hold the frame: enlarge the model's request on a copy
  mjModel* m = mj_copyModel(nullptr, model);
  m->vis.global.offwidth = std::max(m->vis.global.offwidth, width);
  m->vis.global.offheight = std::max(m->vis.global.offheight, height);
  mjr_makeContext(m, &con_, mjFONTSCALE_100);
  mj_deleteModel(m);
  mjr_setBuffer(mjFB_OFFSCREEN, &con_);
  if (con_.currentBuffer != mjFB_OFFSCREEN) throw Error("MuJoCo offscreen rendering is unavailable");
}

MujocoRenderer::~MujocoRenderer() {
  mjr_freeContext(&con_);
  mjv_freeScene(&scene_);
  if (ctx_ != nullptr) OSMesaDestroyContext(static_cast<OSMesaContext>(ctx_));
}

void MujocoRenderer::Render(const mjModel* model, mjData* data, const CameraConfig& camera,
                            std::vector<uint8_t>* rgb) {
  OSMesaMakeCurrent(static_cast<OSMesaContext>(ctx_), buffer_.data(), GL_UNSIGNED_BYTE, width_, height_);
  cam_.type = mjCAMERA_FREE;
  if (camera.track_body > 0) {
    // centred on the body's subtree centre of mass in every frame (MuJoCo's tracking camera
    // follows it through a low-pass filter and falls behind a fast runner)
    for (int i = 0; i < 3; ++i) cam_.lookat[i] = data->subtree_com[3 * camera.track_body + i];
  } else {
    cam_.lookat[0] = cam_.lookat[1] = 0;
    cam_.lookat[2] = camera.lookat_z;
  }
  cam_.distance = camera.distance;
  cam_.elevation = camera.elevation;
  cam_.azimuth = camera.azimuth;
  mjv_updateScene(model, data, &opt_, nullptr, &cam_, mjCAT_ALL, &scene_);
  if (camera.track_body > 0) {
    // a finite floor (HalfCheetah's is 80 m wide) is drawn under the tracked body wherever it
    // runs: shifted by whole periods of its texture, so that the checks stay where they were
    // (planes are infinite to the physics; their size only bounds the drawing)
    for (int k = 0; k < scene_.ngeom; ++k) {
      mjvGeom& g = scene_.geoms[k];
      if (g.type != mjGEOM_PLANE || g.objtype != mjOBJ_GEOM || g.size[0] <= 0 || g.size[1] <= 0) continue;
      const int mat = model->geom_matid[g.objid];
      for (int axis = 0; axis < 2; ++axis) {
        const double repeat = mat >= 0 && !model->mat_texuniform[mat] ? model->mat_texrepeat[2 * mat + axis] : 1.0;
        const double period = 2 * g.size[axis] / std::max(repeat, 1.0);
        g.pos[axis] += static_cast<float>(std::round((cam_.lookat[axis] - g.pos[axis]) / period) * period);
      }
    }
  }
  const mjrRect viewport = {0, 0, width_, height_};
  mjr_render(viewport, &scene_, &con_);
  flipped_.resize(static_cast<size_t>(width_) * height_ * 3);
  mjr_readPixels(flipped_.data(), nullptr, viewport, &con_);
  rgb->resize(flipped_.size());
  const size_t row = static_cast<size_t>(width_) * 3;
  for (int y = 0; y < height_; ++y)  // OpenGL rows are bottom-up
    std::memcpy(rgb->data() + y * row, flipped_.data() + (height_ - 1 - y) * row, row);
}

}  // namespace ratchet
