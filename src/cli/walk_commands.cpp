// `latent walk` and `latent grid`: animations and interpolation sheets.
#include "walk_commands.h"

#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>

#include "latent/algebra.h"
#include "latent/dataset.h"
#include "latent/errors.h"
#include "latent/expression.h"
#include "latent/image_io.h"
#include "latent/latent_io.h"
#include "latent/registry.h"
#include "latent/session.h"
#include "latent/workspace.h"
#include "latent/video_export.h"
#include "latent/walk.h"
#include "expression_env.h"
#include "progress.h"
#include "cli_options.h"

namespace latent {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_interrupt(int) { g_interrupted = 1; }

// Ctrl-C during an export cancels it cleanly (no half-written file) instead of killing us.
class InterruptGuard {
 public:
  InterruptGuard() { previous_ = std::signal(SIGINT, on_interrupt); }
  ~InterruptGuard() { std::signal(SIGINT, previous_); }

 private:
  void (*previous_)(int) = SIG_DFL;
};

// Runs a command; errors become one line on stderr and the exit status (main's dispatch
// never sees these commands, as they run inside parsing).
void run_guarded(const std::function<void()>& body) {
  try {
    body();
    return;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    if (g_interrupted || dynamic_cast<const Cancelled*>(&e)) {
      std::fprintf(stderr, "latent: cancelled; nothing was written\n");
      std::exit(130);
    }
    std::string msg = e.what();
    for (char& c : msg)
      if (c == '\n') c = ' ';
    std::fprintf(stderr, "latent: error: %s\n", msg.c_str());
    std::exit(1);
  }
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\n"), b = s.find_last_not_of(" \t\n");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

// Splits on `sep` outside quotes and parentheses: 'lerp(@a, @b, 0.5), enc("x,y.png")' is two.
std::vector<std::string> split_top_level(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  char quote = 0;
  for (char c : s) {
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == sep && depth == 0) {
      parts.push_back(trim(cur));
      cur.clear();
      continue;
    }
    cur += c;
  }
  parts.push_back(trim(cur));
  return parts;
}

// Where the names in expressions come from, as `arith` has them.
struct NameArgs {
  std::string session, data;
  std::vector<std::string> points;

  void add_options(CLI::App* cmd, const std::string& session_help) {
    cmd->add_option("--session", session, session_help);
    cmd->add_option("--data", data, "Image dataset: item(N) and the session's groups refer to its items (default: the session's)");
    cmd->add_option("--point", points, "NAME=z.json: a named point for the expressions (repeatable)");
  }
};

std::unique_ptr<SpaceExpressionEnv> make_env(const Space& space, const NameArgs& args, const std::optional<Session>& session) {
  return cli::make_expression_env(space, {args.session, args.data, "", {}, args.points}, session);
}

Latent evaluate(const std::string& expr, const ExpressionEnv& env, int dim, const std::string& what) {
  if (expr.empty()) throw UnsupportedError(what + " is empty");
  try {
    return evaluate_expression(expr, env, dim);
  } catch (...) {
    rethrow_with_context(what + " (" + expr + ")");
  }
}

// ------------------------------------------------------------------ walk

struct WalkArgs {
  std::string model, keys, walk_name, center, out, interp = "slerp", resize = "nearest", gif_palette = "frame",
                                                    save_walk;
  NameArgs names;
  double seconds = 0, fps = 30;
  float radius = 1.f, speed = 0.25f;
  uint64_t seed = 0;
  int size = 256, crf = 18;
  bool loop = false, random = false, dither = false;
  CLI::Option* interp_opt = nullptr;
};

Walk build_walk(const WalkArgs& a, const Space& space, std::optional<Session>& session) {
  const int dim = space.info().dim;
  const int sources = !a.keys.empty() + !a.walk_name.empty() + a.random;
  if (sources != 1)
    throw UnsupportedError(std::string(sources ? "give only one of" : "say what to walk through:") +
                           " --keys 'EXPR,EXPR,...', --walk NAME (from --session) or --random-walk");
  if (a.seconds < 0 || !std::isfinite(a.seconds)) throw UnsupportedError("--seconds must be a positive number");
  Walk walk;
  if (!a.keys.empty()) {
    const std::vector<std::string> exprs = split_top_level(a.keys, ',');
    if (exprs.size() < 2)
      throw UnsupportedError("--keys needs two keyframes or more, separated by commas (got one: '" + a.keys + "')");
    const auto env = make_env(space, a.names, session);
    std::vector<Latent> points;
    for (size_t i = 0; i < exprs.size(); ++i)
      points.push_back(evaluate(exprs[i], *env, dim, "--keys: keyframe " + std::to_string(i + 1)));
    const size_t segments = a.loop ? exprs.size() : exprs.size() - 1;
    const double total = a.seconds > 0 ? a.seconds : 2.0 * segments;
    walk = Walk::through(points, total / segments, parse_interpolation(a.interp), a.loop);
    for (size_t i = 0; i < exprs.size(); ++i) walk.keys[i].name = exprs[i];
  } else if (!a.walk_name.empty()) {
    if (!session) throw UnsupportedError("--walk " + a.walk_name + " plays a walk of a session: give --session S.json");
    walk = Workspace::from_session(*session, a.names.session)
               .walk(a.walk_name, "save one with --keys ... --save-walk NAME");
    if (a.interp_opt->count())
      for (Keyframe& k : walk.keys) k.interp = parse_interpolation(a.interp);
    if (a.loop) walk.loop = true;
    if (a.seconds > 0) walk.set_duration(a.seconds);
  } else {
    RandomLoop r;
    if (a.center.empty()) {
      r.center.assign(dim, 0.f);
    } else {
      const auto env = make_env(space, a.names, session);
      r.center = evaluate(a.center, *env, dim, "--center");
    }
    r.scale = space.scale();
    r.radius = a.radius;
    r.speed = a.speed;
    r.seconds = a.seconds > 0 ? a.seconds : 10.0;
    r.seed = a.seed;
    walk.random_loop = r;
  }
  walk.name = a.save_walk.empty() ? (a.walk_name.empty() ? "walk" : a.walk_name) : a.save_walk;
  walk.validate(dim);
  return walk;
}

void run_walk(const WalkArgs& a) {
  if (a.out.empty() && a.save_walk.empty())
    throw UnsupportedError("say where the walk goes: --out walk.mp4, walk.gif or FOLDER/ (or --save-walk NAME --session S.json)");
  if (!a.save_walk.empty() && a.names.session.empty())
    throw UnsupportedError("--save-walk " + a.save_walk + " needs --session S.json to save the walk in");
  if (!(a.fps > 0 && a.fps <= 240)) throw UnsupportedError("--fps must be between 0 and 240");
  if (a.size < 0 || a.size > 8192) throw UnsupportedError("--size must be between 1 and 8192 pixels (0: the model's own size)");
  // Options that can be wrong are checked before the slow part.
  const VideoFormat format = a.out.empty() ? VideoFormat::PngFolder : video_format_for(a.out);
  VideoOptions vo;
  vo.fps = a.fps;
  vo.resize = parse_resize_filter(a.resize);
  vo.gif_palette = parse_gif_palette(a.gif_palette);
  vo.gif_dither = a.dither;
  vo.mp4_crf = a.crf;

  auto space = cli::open_model(a.model);
  std::optional<Session> session;
  if (!a.names.session.empty()) {
    if (!a.save_walk.empty() && !std::filesystem::exists(a.names.session)) {
      session.emplace();  // --save-walk into a new session
      session->model = a.model;
      session->dataset = a.names.data;
    } else {
      session = load_session(a.names.session);
    }
  }
  const Walk walk = build_walk(a, *space, session);

  if (!a.save_walk.empty()) {
    Workspace ws = Workspace::from_session(*session, a.names.session);
    ws.keep_walk(walk);
    ws.into_session(*session);
    save_session(*session, a.names.session);
    std::fprintf(stderr, "saved walk '%s' in %s\n", walk.name.c_str(), a.names.session.c_str());
  }
  if (a.out.empty()) return;

  const SpaceInfo& info = space->info();
  if (!info.can_decode) throw UnsupportedError(a.model + " ('" + info.kind + "') has no decoder, so a walk cannot be shown");
  int width = info.observation.width, height = info.observation.height;
  if (a.size > 0) {
    if (width >= height) height = std::max(1, static_cast<int>(std::lround(double(a.size) * height / width))), width = a.size;
    else width = std::max(1, static_cast<int>(std::lround(double(a.size) * width / height))), height = a.size;
  }
  if (format == VideoFormat::Mp4) width += width % 2, height += height % 2;  // yuv420p
  vo.width = width, vo.height = height;
  const int n = walk.frame_count(a.fps);
  if (n == 0) throw UnsupportedError("the walk is shorter than one frame at " + std::to_string(a.fps) + " fps");
  vo.expected_frames = n;
  vo.progress = cli::stderr_progress("walk", 10, [] { return g_interrupted == 0; });

  InterruptGuard interrupt;
  auto writer = VideoWriter::open(a.out, format, vo);
  std::fprintf(stderr, "walk: %d frames of %dx%d at %g fps (%.2f s) to %s, %s\n", n, width, height, a.fps, walk.duration(),
               a.out.c_str(), writer->describe().c_str());
  const auto t0 = std::chrono::steady_clock::now();
  double decode_seconds = 0;
  for (long i = 0; i < n; ++i) {
    const Latent z = walk.frame(i, a.fps);
    const auto d0 = std::chrono::steady_clock::now();
    const Image img = space->decode(z);
    decode_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - d0).count();
    writer->add(img);
  }
  writer->finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "wrote %s in %.2f s (%.0f frames/s; decoding took %.2f s of it)\n", a.out.c_str(), secs, n / secs,
               decode_seconds);
  std::printf("%s\n", a.out.c_str());
}

// ------------------------------------------------------------------ grid

struct GridArgs {
  std::string model, out, corners, interp = "slerp";
  std::vector<std::string> rows;
  NameArgs names;
  int steps = 8, scale = 1;
};

void run_grid(const GridArgs& a) {
  if (a.rows.empty() == a.corners.empty())
    throw UnsupportedError("give the sheet's points with one of --rows 'A:B,C:D' (a row from A to B, one per pair) or "
                           "--corners 'TOPLEFT,TOPRIGHT,BOTTOMLEFT,BOTTOMRIGHT'");
  if (a.steps < 2 || a.steps > 64) throw UnsupportedError("--steps must be between 2 and 64");
  if (a.scale < 1 || a.scale > 64) throw UnsupportedError("--scale must be between 1 and 64");
  const Interpolation interp = parse_interpolation(a.interp);
  if (interp == Interpolation::Spline)
    throw UnsupportedError("--interp spline needs more than two points; a grid interpolates pairs (use linear or slerp)");

  auto space = cli::open_model(a.model);
  if (!space->info().can_decode) throw UnsupportedError(a.model + " has no decoder, so a grid cannot be shown");
  std::optional<Session> session;
  if (!a.names.session.empty()) session = load_session(a.names.session);
  const auto env = make_env(*space, a.names, session);
  const int dim = space->info().dim;

  std::vector<Latent> points;
  int rows = 0;
  if (!a.rows.empty()) {
    for (const std::string& arg : a.rows)
      for (const std::string& row : split_top_level(arg, ',')) {
        ++rows;
        const std::string what = "--rows: row " + std::to_string(rows);
        const std::vector<std::string> ends = split_top_level(row, ':');
        if (ends.size() != 2) throw UnsupportedError(what + " ('" + row + "') must be two expressions joined by ':', as in @a:@b");
        const Latent from = evaluate(ends[0], *env, dim, what + " start"), to = evaluate(ends[1], *env, dim, what + " end");
        for (Latent& z : interpolate_row(from, to, a.steps, interp)) points.push_back(std::move(z));
      }
  } else {
    const std::vector<std::string> c = split_top_level(a.corners, ',');
    if (c.size() != 4)
      throw UnsupportedError("--corners takes four expressions (top left, top right, bottom left, bottom right), not " +
                             std::to_string(c.size()));
    const char* names[] = {"top left", "top right", "bottom left", "bottom right"};
    std::vector<Latent> k;
    for (int i = 0; i < 4; ++i) k.push_back(evaluate(c[i], *env, dim, std::string("--corners: ") + names[i]));
    rows = a.steps;
    const std::vector<Latent> left = interpolate_row(k[0], k[2], a.steps, interp);
    const std::vector<Latent> right = interpolate_row(k[1], k[3], a.steps, interp);
    for (int r = 0; r < a.steps; ++r)
      for (Latent& z : interpolate_row(left[r], right[r], a.steps, interp)) points.push_back(std::move(z));
  }
  std::vector<Image> images;
  ProgressFn progress = cli::stderr_progress("grid", 10, [] { return g_interrupted == 0; });
  for (const Latent& z : points) {
    images.push_back(upscale_nearest(space->decode(z), a.scale));
    progress(float(images.size()) / points.size(), "decoding");
  }
  save_png(make_grid(images, a.steps), a.out);
  std::fprintf(stderr, "grid: %d rows x %d columns of %dx%d\n", rows, a.steps, images[0].width, images[0].height);
  std::printf("%s\n", a.out.c_str());
}

}  // namespace

void add_walk_commands(CLI::App& app) {
  auto w = std::make_shared<WalkArgs>();
  auto* walk = app.add_subcommand("walk", "Animate a walk through the latent space to an MP4, a GIF or PNG frames");
  walk->add_option("MODEL", w->model, "Model package")->required();
  walk->add_option("--keys", w->keys,
                   "Keyframes: expressions separated by commas, e.g. 'enc(\"a.png\"),z(\"b.json\"),item(7),@smile'");
  walk->add_option("--walk", w->walk_name, "Play the walk of this name from --session");
  walk->add_flag("--random-walk", w->random, "A closed random loop around --center instead of keyframes");
  walk->add_option("--center", w->center, "Random walk: the centre, an expression (default: the origin)");
  walk->add_option("--radius", w->radius, "Random walk: distance from the centre, in standard deviations of each latent dimension")
      ->capture_default_str();
  walk->add_option("--speed", w->speed, "Random walk: oscillations per second along each dimension, on average")
      ->capture_default_str();
  walk->add_option("--seed", w->seed, "Random walk: seed (the same seed gives the same loop)")->capture_default_str();
  w->interp_opt = walk->add_option("--interp", w->interp, "Between keyframes: linear, slerp or spline (Catmull-Rom)")
                      ->capture_default_str();
  walk->add_option("--seconds", w->seconds,
                   "Length in seconds (default: 2 per keyframe segment; 10 for a random walk; a session walk's own)");
  walk->add_flag("--loop", w->loop, "Return from the last keyframe to the first (a seamless loop)");
  walk->add_option("--fps", w->fps, "Frames per second")->capture_default_str();
  walk->add_option("--size", w->size, "Longer side of the output in pixels (0: the model's own size)")->capture_default_str();
  walk->add_option("--resize", w->resize, "Enlarging filter: nearest (crisp pixels) or smooth")->capture_default_str();
  walk->add_option("--out,-o", w->out, "walk.mp4 (H.264 via ffmpeg), walk.gif, or a folder for PNG frames (FOLDER/)");
  walk->add_option("--gif-palette", w->gif_palette, "GIF colours: frame (median cut per frame) or fixed (6x7x6 cube)")
      ->capture_default_str();
  walk->add_flag("--dither", w->dither, "GIF with --gif-palette fixed: ordered dithering");
  walk->add_option("--crf", w->crf, "MP4 quality: 0 (lossless) to 51 (worst)")->capture_default_str();
  walk->add_option("--save-walk", w->save_walk, "Also save the walk under this name in --session (replacing one of that name; a new session if the file is missing)");
  w->names.add_options(walk, "A studio session: its bookmarks are @points, its groups @groups, its walks play with --walk");
  walk->footer(
      "Frames: round(seconds x fps), frame i at i/fps; the end of an open walk is the instant the video ends, and a\n"
      "loop never repeats its first frame. Every keyframe is exactly one frame when seconds x fps per segment is whole.\n"
      "Ctrl-C cancels and leaves no file. Examples:\n"
      "  latent walk models/olivetti-pca --keys 'item(0),item(10),item(20)' --loop --interp spline --out faces.gif\n"
      "  latent walk models/olivetti-pca --random-walk --radius 0.8 --seconds 8 --out wander.mp4\n"
      "  latent walk models/olivetti-pca --session s.json --walk tour --fps 24 --out frames/");
  walk->callback([w] { run_guarded([&] { run_walk(*w); }); });

  auto g = std::make_shared<GridArgs>();
  auto* grid = app.add_subcommand("grid", "Decode an interpolation sheet: rows from A to B, or a square between four corners");
  grid->add_option("MODEL", g->model, "Model package")->required();
  grid->add_option("--rows", g->rows,
                   "Rows as START:END expression pairs separated by commas (or repeat --rows), e.g. "
                   "'item(0):item(10),@smile:@frown'");
  grid->add_option("--corners", g->corners,
                   "Four expressions TOPLEFT,TOPRIGHT,BOTTOMLEFT,BOTTOMRIGHT: a steps x steps sheet between them");
  grid->add_option("--steps", g->steps, "Images per row, both ends included")->capture_default_str();
  grid->add_option("--interp", g->interp, "linear or slerp")->capture_default_str();
  grid->add_option("--scale", g->scale, "Enlarge each image by this integer factor")->capture_default_str();
  grid->add_option("--out,-o", g->out, "PNG to write")->required();
  g->names.add_options(grid, "A studio session: its bookmarks are @points, its groups @groups");
  grid->footer(
      "Each row goes from its START (left) to its END (right) in --steps images, as in the DCGAN paper's figures.\n"
      "With --corners, each row interpolates between the left and right edges, which run from the top corners to\n"
      "the bottom ones. Example:\n"
      "  latent grid models/olivetti-pca --rows 'item(0):item(10),item(20):item(30)' --data ../shared/data/faces/olivetti --steps 8 --out g.png");
  grid->callback([g] { run_guarded([&] { run_grid(*g); }); });
}

}  // namespace latent
