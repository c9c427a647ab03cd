// Headless MuJoCo rendering and the GIF writer.
#include <gif_lib.h>

#include <cstdlib>
#include <fstream>

#include "ratchet/train.h"
#include "ratchet/draw.h"
#include "test_util.h"

#include "draw/mujoco_render.h"
#include "env/classic/cartpole.h"
#include "env/mujoco/mujoco_sim.h"

namespace ratchet {
namespace {

struct CartPoleProbe {
  CartPole env{CartPole::MakeSpec("CartPole-v1", 500, 475.0)};
  double CartCentreColumn(double x) {
    std::vector<float> obs(4);
    env.Reset(0, obs);
    const double s[4] = {x, 0, 0, 0};
    env.set_state(s);
    std::vector<uint8_t> f;
    env.Render(600, 400, &f);
    const int row = 400 - 100 - 10;  // inside the cart, below the axle
    double sum = 0;
    int n = 0;
    for (int col = 0; col < 600; ++col) {
      const uint8_t* p = f.data() + 3 * (row * 600 + col);
      if (p[0] < 40 && p[1] < 40 && p[2] < 40) {
        sum += col;
        ++n;
      }
    }
    return n > 0 ? sum / n : -1;
  }
};

TEST(GifWriterTest, WritesFramesABrowserCanDecode) {
  const auto dir = testing::FreshDir("gif");
  const int W = 40, H = 30;
  {
    GifWriter gif(dir / "a.gif", W, H, 5);
    std::vector<uint8_t> frame(W * H * 3);
    for (int k = 0; k < 7; ++k) {
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
          uint8_t* p = frame.data() + 3 * (y * W + x);
          p[0] = static_cast<uint8_t>(x * 6);
          p[1] = static_cast<uint8_t>(y * 8);
          p[2] = static_cast<uint8_t>(k * 30);
        }
      gif.AddFrame(frame);
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "a.gif"));  // only the temporary exists until Close
    gif.Close();
  }
  int err = 0;
  GifFileType* g = DGifOpenFileName((dir / "a.gif").c_str(), &err);
  ASSERT_NE(g, nullptr);
  ASSERT_EQ(DGifSlurp(g), GIF_OK);
  EXPECT_EQ(g->ImageCount, 7);
  EXPECT_EQ(g->SWidth, W);
  EXPECT_EQ(g->SHeight, H);
  // the last frame's colours survive quantisation closely: pixel (x=5, y=3)
  const SavedImage& im = g->SavedImages[6];
  const GifColorType c = im.ImageDesc.ColorMap->Colors[im.RasterBits[3 * W + 5]];
  EXPECT_NEAR(c.Red, 30, 8);
  EXPECT_NEAR(c.Green, 24, 8);
  EXPECT_NEAR(c.Blue, 180, 8);
  DGifCloseFile(g, &err);
  EXPECT_FALSE(std::filesystem::exists(dir / "a.gif.tmp"));
}

TEST(RenderTest, MujocoEnvsRenderHeadlessAndFramesChange) {
  auto env = MakeEnv("Hopper-v4");
  std::vector<float> obs(11), a = {1.0f, -1.0f, 1.0f};
  env->Reset(0, obs);
  std::vector<uint8_t> f0, f1;
  env->Render(64, 48, &f0);
  ASSERT_EQ(f0.size(), 64u * 48 * 3);
  long distinct = 0;
  for (size_t i = 3; i < f0.size(); i += 3) distinct += f0[i] != f0[0];
  EXPECT_GT(distinct, 100);  // not a blank frame
  for (int t = 0; t < 20; ++t) env->Step(a, obs);
  env->Render(64, 48, &f1);
  EXPECT_NE(f0, f1);
  EXPECT_THROW(env->Render(0, 10, &f1), Error);
}

TEST(RenderTest, EveryEnvironmentRendersAndFramesFollowTheState) {
  for (const std::string& id : ListEnvs()) {
    if (id.ends_with("-v4")) continue;  // the MuJoCo path is covered above
    auto env = MakeEnv(id);
    const EnvSpec& spec = env->spec();
    std::vector<float> obs(spec.observation_space.flat_dim());
    std::vector<float> a(spec.action_space.flat_dim(), spec.action_space.is_discrete() ? 1.0f : 1.0f);
    env->Reset(2, obs);
    std::vector<uint8_t> f0, f1;
    env->Render(60, 40, &f0);
    ASSERT_EQ(f0.size(), 60u * 40 * 3) << id;
    long drawn = 0;
    for (size_t i = 0; i < f0.size(); i += 3) drawn += f0[i] + f0[i + 1] + f0[i + 2] < 600;
    EXPECT_GT(drawn, 5) << id << ": something is drawn on the white background";
    for (int t = 0; t < 15; ++t) {
      const StepResult r = env->Step(a, obs);
      if (r.terminated || r.truncated) break;
    }
    env->Render(60, 40, &f1);
    EXPECT_NE(f0, f1) << id;
    EXPECT_THROW(env->Render(0, 40, &f1), Error) << id;
  }
}

TEST(RenderTest, CartPoleGeometry) {
  // the cart centre is at x * 125 + 300 in the 600 x 400 reference frame, 100 px above the
  // bottom; render at the reference size and find the black cart
  CartPoleProbe probe;
  EXPECT_NEAR(probe.CartCentreColumn(0.0), 300, 2);
  EXPECT_NEAR(probe.CartCentreColumn(1.0), 425, 2);
  EXPECT_NEAR(probe.CartCentreColumn(-2.0), 50, 2);
}

// A policy with random initial weights for env_id.
Policy RandomPolicy(const std::string& env_id) {
  const EnvSpec spec = EnvSpecOf(env_id);
  Policy pi(spec.observation_space, spec.action_space, NetConfig{});
  Rng rng(1);
  pi.Init(rng);
  return pi;
}

struct GifInfo {
  int images = 0, width = 0;
};

GifInfo ReadGif(const std::filesystem::path& path) {
  int err = 0;
  GifFileType* g = DGifOpenFileName(path.c_str(), &err);
  EXPECT_NE(g, nullptr) << path;
  if (g == nullptr) return {};
  EXPECT_EQ(DGifSlurp(g), GIF_OK);
  const GifInfo out{g->ImageCount, g->SWidth};
  DGifCloseFile(g, &err);
  return out;
}

TEST(RenderTest, RecordGifOfAMujocoEpisode) {
  const auto dir = testing::FreshDir("gif_mujoco");
  RecordGif(RandomPolicy("InvertedPendulum-v4"), "InvertedPendulum-v4", nullptr, 3, dir / "ip.gif", 48, 36, 12);
  const GifInfo g = ReadGif(dir / "ip.gif");
  EXPECT_GE(g.images, 2);
  EXPECT_LE(g.images, 12);
  EXPECT_EQ(g.width, 48);
}

// A time-limited episode longer than max_frames is thinned to fit, not cut: HalfCheetah never
// terminates, so its GIF covers all 1000 steps.
TEST(RenderTest, RecordGifCoversTheWholeTimeLimitedEpisode) {
  const auto dir = testing::FreshDir("gif_whole");
  const GifResult r =
      RecordGif(RandomPolicy("HalfCheetah-v4"), "HalfCheetah-v4", nullptr, 3, dir / "hc.gif", 32, 24, 12);
  EXPECT_EQ(r.steps, 1000);
  EXPECT_EQ(r.steps_rendered, 1000);
  EXPECT_EQ(r.every, 91);  // ceil(1000 / 11)
  EXPECT_EQ(r.frames, 12);  // the reset state, 10 strides and the last step
  EXPECT_EQ(ReadGif(dir / "hc.gif").images, 12);
}

// The camera is centred on the tracked body and the floor follows it by whole texture periods, so
// the cheetah 80 m down the track (twice the floor's drawn half-width, 60 periods of its
// 80 m / 60-repeat texture) looks as it does at the start. A lagging camera or a floor that ends
// at 40 m changes most of the frame.
TEST(RenderTest, TrackedBodyStaysCentredOverTheFloorFarDownTheTrack) {
  MujocoSim sim("half_cheetah", 5);
  MujocoRenderer renderer(sim.model(), 64, 48);
  const CameraConfig camera{1, 4.0, -20.0, 90.0, 0.0};
  auto frame_at = [&](double x) {
    mj_resetData(sim.model(), sim.mutable_data());
    sim.mutable_data()->qpos[0] = x;
    mj_forward(sim.model(), sim.mutable_data());
    std::vector<uint8_t> rgb;
    renderer.Render(sim.model(), sim.mutable_data(), camera, &rgb);
    return rgb;
  };
  const std::vector<uint8_t> home = frame_at(0.0);
  frame_at(80.0);  // MuJoCo's own tracking camera would still be catching up here
  const std::vector<uint8_t> far = frame_at(80.0);
  ASSERT_EQ(home.size(), far.size());
  size_t differ = 0;
  for (size_t i = 0; i < home.size(); i += 3)
    differ += std::abs(home[i] - far[i]) + std::abs(home[i + 1] - far[i + 1]) +
                  std::abs(home[i + 2] - far[i + 2]) >
              30;
  EXPECT_LT(differ, home.size() / 3 / 50) << differ << " of " << home.size() / 3 << " pixels differ";
}

}  // namespace
}  // namespace ratchet
