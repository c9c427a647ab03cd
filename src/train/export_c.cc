// `ratchet export --format c`: a run's policy as one C99 header and source file with no
// dependency beyond <math.h>: the weights as static const float arrays, no allocation, and the
// very operation order of the deploy library (DeployedPolicy, which multiplies with Eigen), so
// that compiled with -ffp-contract=off for the ISA level this Ratchet was built for, its actions
// equal DeployedPolicy's bit for bit. That order, per layer z = W a + b (W out x in, column-major):
//
//   in + out + 1 < 20 (Eigen's coefficient-based product): rows [0, out - out % 4) accumulate
//     c = fma(W[i][j], a[j], c) from c = 0 over j in order (packets of P, then of 4); the rest
//     c = W[i][0] a[0], then c = c + W[i][j] a[j] (a rounded product, then a rounded sum).
//   out == 1 (a dot product): c = W[0] a[0], then c = c + W[j] a[j]; z = 0 + c.
//   otherwise (Eigen's matrix-vector kernel): columns in blocks (all of them below 128 columns,
//     else 16 at a time); rows [0, out - out % 4) accumulate with fma from 0 per block, the
//     other rows with a rounded product then sum; each block's sum is added to z (from 0).
//   then z = z + b; on hidden layers tanh (Eigen's rational approximation, with fma in every row:
//   Eigen fuses its scalar multiply-adds too when the build fuses) or max(z, 0).
//
// P is the SIMD width in floats of the build (8 for x86-64-v3; a width below 4 vectorises no
// rows), and "fma" is a fused multiply-add when the build fuses (x86-64-v3 does), otherwise a
// rounded product and sum. The observation is
// normalised in double as in training; Box actions are clipped to the bounds, Discrete ones are
// the first maximal logit.
#include <Eigen/Core>
#include <cmath>
#include <fmt/format.h>

#include "core/file.h"
#include "ratchet/deploy.h"
#include "ratchet/train.h"

namespace ratchet {
namespace {

constexpr int kPacket = Eigen::internal::packet_traits<float>::size;
#ifdef EIGEN_VECTORIZE_FMA
constexpr bool kFused = kPacket > 1;
#else
constexpr bool kFused = false;
#endif

// A float as a C literal that reads back exactly (hexadecimal, C99).
std::string FloatLiteral(float v) {
  if (std::isinf(v)) return v > 0 ? "INFINITY" : "-INFINITY";
  return fmt::format("{:a}f", v);
}

std::string DoubleLiteral(double v) { return fmt::format("{:a}", v); }

template <typename T, typename F>
std::string ArrayText(const std::string& decl, std::span<const T> values, F literal) {
  std::string out = decl + " = {";
  for (size_t i = 0; i < values.size(); ++i) {
    out += (i % 6 == 0 ? "\n    " : " ") + literal(values[i]) + (i + 1 < values.size() ? "," : "");
  }
  return out + "\n};\n";
}

// A C identifier from the output's file name: letters, digits and _, not starting with a digit.
std::string Identifier(const std::string& stem) {
  std::string id;
  for (char c : stem) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (id.empty() || std::isdigit(static_cast<unsigned char>(id[0]))) id = "policy_" + id;
  return id;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// The kernels, written once; P and FUSED are the build's, NAME_ the prefix.
constexpr const char* kKernels = R"(#define P_ @PACKET@
#if @FUSED@
#define MADD_P(a, b, c) fmaf((a), (b), (c))
#else
#define MADD_P(a, b, c) ((a) * (b) + (c))
#endif

static void dense(const float *W, const float *b, const float *x, float *z, float *c, int in, int out) {
  /* per row the products are summed in Eigen's order; rows are independent, so the loops run
     column by column (c holds the running sums), which compilers vectorise */
  int i, j, j2;
  const int vec = P_ >= 4 ? out - out % 4 : out;
  if (in + out + 1 < 20) {
    for (i = 0; i < vec; ++i) z[i] = 0.0f;
    for (j = 0; j < in; ++j)
      for (i = 0; i < vec; ++i) z[i] = MADD_P(W[j * out + i], x[j], z[i]);
    for (i = vec; i < out; ++i) z[i] = W[i] * x[0];
    for (j = 1; j < in; ++j)
      for (i = vec; i < out; ++i) z[i] = z[i] + W[j * out + i] * x[j];
  } else if (out == 1) {
    float s = W[0] * x[0];
    for (j = 1; j < in; ++j) s = s + W[j] * x[j];
    z[0] = 0.0f + s;
  } else {
    const int block = in < 128 ? in : (out * 4 < 32000 ? 16 : 4);
    for (i = 0; i < out; ++i) z[i] = 0.0f;
    for (j2 = 0; j2 < in; j2 += block) {
      const int jend = j2 + block < in ? j2 + block : in;
      for (i = 0; i < out; ++i) c[i] = 0.0f;
      for (j = j2; j < jend; ++j) {
        for (i = 0; i < vec; ++i) c[i] = MADD_P(W[j * out + i], x[j], c[i]);
        for (i = vec; i < out; ++i) c[i] = c[i] + W[j * out + i] * x[j];
      }
      for (i = 0; i < vec; ++i) z[i] = MADD_P(c[i], 1.0f, z[i]);
      for (i = vec; i < out; ++i) z[i] = z[i] + 1.0f * c[i];
    }
  }
  for (i = 0; i < out; ++i) z[i] = z[i] + b[i];
}
)";

// Eigen's rational approximation of tanh, with its clamp for this build.
constexpr const char* kTanh = R"(
static void activate(float *z, int n) {
  int i;
  for (i = 0; i < n; ++i) {
    const float a = z[i], clamp = @CLAMP@;
    const float m = clamp < a ? clamp : a;
    const float x = m < -clamp ? -clamp : m;
    const float x2 = x * x;
    float p = MADD_P(x2, -2.76076847742355e-16f, 2.00018790482477e-13f), q;
    p = MADD_P(x2, p, -8.60467152213735e-11f);
    p = MADD_P(x2, p, 5.12229709037114e-08f);
    p = MADD_P(x2, p, 1.48572235717979e-05f);
    p = MADD_P(x2, p, 6.37261928875436e-04f);
    p = MADD_P(x2, p, 4.89352455891786e-03f);
    p = x * p;
    q = MADD_P(x2, 1.19825839466702e-06f, 1.18534705686654e-04f);
    q = MADD_P(x2, q, 2.26843463243900e-03f);
    q = MADD_P(x2, q, 4.89352518554385e-03f);
    z[i] = fabsf(a) < 0.0004f ? x : p / q;
  }
}
)";

constexpr const char* kRelu = R"(
static void activate(float *z, int n) {
  int i;
  for (i = 0; i < n; ++i) z[i] = z[i] < 0.0f ? 0.0f : z[i];
}
)";

std::string Replace(std::string s, const std::string& key, const std::string& value) {
  for (size_t at = s.find(key); at != std::string::npos; at = s.find(key, at + value.size()))
    s.replace(at, key.size(), value);
  return s;
}

}  // namespace

std::pair<std::string, std::string> PolicyCSource(const DeployedPolicy::Contents& c, const std::string& name,
                                                  const std::string& origin) {
  const std::string id = Identifier(name), ID = Upper(id);
  const int layers = static_cast<int>(c.widths.size()) - 1;
  const int act_dim = c.discrete ? 1 : c.num_actions;
  int max_width = 0;
  for (int w : c.widths) max_width = std::max(max_width, w);
  const std::string guard = ID + "_H_";
  std::string h = fmt::format(
      "/* {id}.h: a policy exported by Ratchet {ver} from {origin} ({env}).\n"
      " * C99, no allocation, no dependency beyond <math.h>; thread-safe (no state).\n"
      " * {id}_act: one raw observation ({od} floats) -> the deterministic action ({ad} float{s}{disc}).\n"
      "{exact}"
      "#ifndef {guard}\n#define {guard}\n\n"
      "#define {ID}_OBS_DIM {od}\n#define {ID}_ACTION_DIM {ad}\n\n"
      "#ifdef __cplusplus\nextern \"C\" {{\n#endif\n\n"
      "void {id}_act(const float *obs, float *action);\n"
      "/* n observations (row after row) -> n actions */\n"
      "void {id}_act_batch(const float *obs, float *action, int n);\n\n"
      "#ifdef __cplusplus\n}}\n#endif\n\n#endif\n",
      fmt::arg("id", id), fmt::arg("ID", ID), fmt::arg("ver", GetBuildInfo().version), fmt::arg("origin", origin),
      fmt::arg("env", c.env_id), fmt::arg("od", c.obs_dim), fmt::arg("ad", act_dim),
      fmt::arg("s", act_dim == 1 ? "" : "s"),
      fmt::arg("disc", c.discrete ? fmt::format(": the index of one of {} actions, as a float", c.num_actions) : ""),
      fmt::arg("exact", *RATCHET_C_EXPORT_FLAGS
                            ? fmt::format(" * Compiled with `cc -std=c99 -O3 {}` (this Ratchet's ISA level: SIMD width {}, {}\n"
                                          " * multiply-add), the actions equal ratchet::DeployedPolicy's bit for bit; built\n"
                                          " * otherwise they agree to float rounding. */\n",
                                          RATCHET_C_EXPORT_FLAGS, kPacket, kFused ? "fused" : "unfused")
                            : std::string(" * This Ratchet is a native build, whose compiler fuses on its own: the actions agree\n"
                                          " * with ratchet::DeployedPolicy's to float rounding. */\n")),
      fmt::arg("guard", guard));

  std::string s = fmt::format("/* {}.c: see {}.h. Generated by Ratchet {}; do not edit. */\n#include <math.h>\n\n#include \"{}.h\"\n\n",
                              id, id, GetBuildInfo().version, id);
  std::string kernels = Replace(kKernels, "@PACKET@", std::to_string(kPacket));
  kernels = Replace(kernels, "@FUSED@", kFused ? "1" : "0");
  if (layers > 1) kernels += c.tanh ? kTanh : kRelu;
#ifdef EIGEN_VECTORIZE_FMA
  kernels = Replace(kernels, "@CLAMP@", "7.99881172180175781f");
#else
  kernels = Replace(kernels, "@CLAMP@", "7.90531110763549805f");
#endif
  s += kernels + "\n";
  size_t off = 0;
  for (int l = 0; l < layers; ++l) {
    const int in = c.widths[l], out = c.widths[l + 1];
    const std::span<const float> p(c.params.data() + off, static_cast<size_t>(out) * (in + 1));
    s += ArrayText(fmt::format("/* layer {}: {} -> {}, weights column-major */\nstatic const float W{}[{}]", l, in, out,
                               l, out * in),
                   p.first(static_cast<size_t>(out) * in), FloatLiteral);
    s += ArrayText(fmt::format("static const float B{}[{}]", l, out), p.subspan(static_cast<size_t>(out) * in),
                   FloatLiteral);
    off += p.size();
  }
  if (c.normalize_obs) {
    s += ArrayText(fmt::format("/* observation normaliser */\nstatic const double MEAN[{}]", c.obs_dim),
                   std::span<const double>(c.obs_mean), DoubleLiteral);
    s += ArrayText(fmt::format("static const double VAR[{}]", c.obs_dim), std::span<const double>(c.obs_var),
                   DoubleLiteral);
  }
  if (!c.discrete) {
    s += ArrayText(fmt::format("/* action bounds */\nstatic const float LOW[{}]", c.num_actions),
                   std::span<const float>(c.action_low), FloatLiteral);
    s += ArrayText(fmt::format("static const float HIGH[{}]", c.num_actions), std::span<const float>(c.action_high),
                   FloatLiteral);
  }
  s += fmt::format("\nvoid {}_act(const float *obs, float *action) {{\n", id);
  s += fmt::format("  float a[{}], b[{}], c[{}];\n  int j;\n", max_width, max_width, max_width);
  if (c.normalize_obs) {
    s += fmt::format(
        "  for (j = 0; j < {}; ++j) {{\n"
        "    const double z = (obs[j] - MEAN[j]) / sqrt(VAR[j] + 1e-8);\n"
        "    a[j] = (float)(z < -{clip} ? -{clip} : ({clip} < z ? {clip} : z));\n  }}\n",
        c.obs_dim, fmt::arg("clip", DoubleLiteral(c.obs_clip)));
  } else {
    s += fmt::format("  for (j = 0; j < {}; ++j) a[j] = obs[j];\n", c.obs_dim);
  }
  for (int l = 0; l < layers; ++l) {
    const char* src = l % 2 == 0 ? "a" : "b";
    const char* dst = l % 2 == 0 ? "b" : "a";
    s += fmt::format("  dense(W{}, B{}, {}, {}, c, {}, {});\n", l, l, src, dst, c.widths[l], c.widths[l + 1]);
    if (l + 1 < layers) s += fmt::format("  activate({}, {});\n", dst, c.widths[l + 1]);
  }
  const char* y = layers % 2 == 1 ? "b" : "a";
  if (c.discrete) {
    s += fmt::format("  {{\n    int best = 0;\n    for (j = 1; j < {}; ++j)\n      if ({y}[best] < {y}[j]) best = j;\n"
                     "    action[0] = (float)best;\n  }}\n",
                     c.num_actions, fmt::arg("y", y));
  } else {
    s += fmt::format("  for (j = 0; j < {}; ++j)\n    action[j] = {y}[j] < LOW[j] ? LOW[j] : (HIGH[j] < {y}[j] ? HIGH[j] : {y}[j]);\n",
                     c.num_actions, fmt::arg("y", y));
  }
  s += "}\n\n";
  s += fmt::format("void {id}_act_batch(const float *obs, float *action, int n) {{\n  int i;\n"
                   "  for (i = 0; i < n; ++i) {id}_act(obs + (long)i * {od}, action + (long)i * {ad});\n}}\n",
                   fmt::arg("id", id), fmt::arg("od", c.obs_dim), fmt::arg("ad", act_dim));
  return {h, s};
}

void ExportC(const TrainedModel& m, const std::filesystem::path& out, const std::string& origin) {
  const std::string name = out.stem().string();
  const auto [h, s] = PolicyCSource(CheckedDeployContents(m), name, origin);
  std::filesystem::path base = out;
  base.replace_extension();
  WriteFileAtomically(base.string() + ".h", h, "C header");
  WriteFileAtomically(base.string() + ".c", s, "C source");
}

}  // namespace ratchet
