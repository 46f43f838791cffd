#include "workers.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "latent/algebra.h"
#include "latent/analysis.h"
#include "latent/errors.h"
#include "latent/file_ops.h"
#include "latent/image_io.h"
#include "latent/model_package.h"
#include "latent/pca_space.h"
#include "latent/registry.h"
#include "latent/torch_space.h"

namespace studio {

using namespace latent;

namespace {

Decoded decode_checked(const DecodeRequest& r) {
  if (!r.space) throw UnsupportedError("no model is open");
  Decoded out;
  if (const auto* wv = r.space->words())
    out.words = r.index ? r.index->search(*wv, r.z, 12) : wv->nearest(r.z, 12);
  else if (r.space->info().modality == Modality::Text)
    out.text = r.space->decode_text(r.z);
  else out.image = r.space->decode(r.z);
  return out;
}

// The story worker's map of a style (analysis.h), kept while the model and style stay the same.
struct StoryMap {
  const void* space = nullptr;
  std::string style;
  std::optional<StyleMap> map;
};

StoryResult tell_story(const StoryRequest& r, StoryMap& map) {
  const auto* st = r.space ? r.space->sentences() : nullptr;
  if (!st) throw UnsupportedError("the open model does not write sentences");
  std::vector<std::string> captions;
  for (const auto& c : r.captions)
    if (!c.empty()) captions.push_back(c);
  if (captions.empty()) throw UnsupportedError("type a caption (one per line), or pick an image with captions");
  StoryResult out;
  out.key = r.key;
  const Latent base = st->mean_thought(captions);
  out.shifted = base;
  if (!r.style.vector.empty())
    for (size_t i = 0; i < base.size(); ++i) out.shifted[i] += r.strength * r.style.vector[i];
  const int n = st->has_neighbour_decoders() ? std::max(1, r.sentences) : 1;
  PassageOptions po;  // the passage-wide rules of `latent story`, with the captions' words to keep
  po.keep_words = content_words_of(captions);
  po.keep_bonus = po.keep_first = r.keep_bonus;  // one slider: "stay on the scene"
  out.passage = st->tell(out.shifted, n, r.decode, {}, po);
  out.novel_likeness = novel_likeness(st->vocabulary(), tokenize_sentence(out.passage.front()));
  out.content_kept = content_kept(po.keep_words, tokenize_sentences(out.passage));  // what "stay on the scene" changes
  if (!r.style.a_examples.empty() && !r.style.b_examples.empty() &&
      (map.space != r.space.get() || map.style != r.style.name)) {
    map.map.emplace(st->encode_sentences(r.style.a_examples), st->encode_sentences(r.style.b_examples), r.style.vector);
    map.space = r.space.get();
    map.style = r.style.name;
  }
  if (map.space == r.space.get() && map.style == r.style.name && map.map) {
    out.has_map = true;
    out.map_a = map.map->a();
    out.map_b = map.map->b();
    out.caption_xy = map.map->place(base);
    out.shifted_xy = map.map->place(out.shifted);
  }
  return out;
}

WordResult answer_words(const WordRequest& r) {
  const auto* wv = r.space ? r.space->words() : nullptr;
  if (!wv) throw UnsupportedError("the open model has no words");
  const auto terms = parse_word_expression(r.query);
  WordResult out;
  out.query = r.query;
  if (r.index && r.method == AnalogyMethod::CosAdd) {
    std::vector<long> inputs;
    for (const auto& t : terms) inputs.push_back(wv->require(t.word));
    out.result.inputs_excluded = !r.keep_inputs;
    out.result.words = r.index->search(*wv, wv->combine(terms), r.k, r.keep_inputs ? std::vector<long>{} : inputs);
    out.result.method = (terms.size() == 1 ? "cosine, " : "3CosAdd, ") + r.index->describe();
  } else {
    out.result = wv->query(terms, r.k, r.keep_inputs, r.method);
    if (terms.size() == 1 && r.method == AnalogyMethod::CosAdd) out.result.method = "cosine, exact";
  }
  out.point.assign(wv->dim(), 0.f);
  for (const auto& t : terms) {
    const Latent v = wv->vector(wv->require(t.word));
    for (int k = 0; k < wv->dim(); ++k) out.point[k] += t.weight * v[k];
  }
  std::vector<Latent> points;
  for (const auto& w : out.result.words) points.push_back(wv->unit_vector(w.index));
  for (const auto& t : terms) {
    out.inputs.push_back(t.word);
    points.push_back(wv->unit_vector(wv->require(t.word)));
  }
  const auto xy = project_small(points);
  out.answer_xy.assign(xy.begin(), xy.begin() + out.result.words.size());
  out.input_xy.assign(xy.begin() + out.result.words.size(), xy.end());
  return out;
}

PickResult pick(const PickRequest& r) {
  PickResult out;
  out.index = r.index;
  out.original = r.data->image(r.index);
  out.reconstruction = r.space->decode(r.z);
  const ReconstructionError e = reconstruction_error(out.original, out.reconstruction, 4.f);
  out.rmse = e.rmse;
  out.max_error = e.max_error;
  out.error = e.heatmap;
  return out;
}

// The training data recorded in model.json, looked up relative to the working folder,
// the model's project (two levels up: models/<name>) and the model folder.
std::string find_training_data(const std::string& model_dir) {
  namespace fs = std::filesystem;
  if (model_dir.empty()) return {};
  try {
    const auto header = read_model_json(model_dir);
    if (!header.contains("training") || !header["training"].contains("data")) return {};
    const fs::path data = header["training"]["data"].get<std::string>();
    if (data.is_absolute()) return fs::exists(data) ? data.string() : std::string();
    const fs::path dir = fs::absolute(model_dir);
    for (const fs::path& base : {fs::current_path(), dir.parent_path().parent_path(), dir})
      if (fs::exists(base / data)) return fs::weakly_canonical(base / data).string();
  } catch (const std::exception&) {
  }
  return {};
}

}  // namespace

Workers::Workers()
    : decoder(decode_checked),
      words(answer_words),
      picker(pick),
      story([map = std::make_shared<StoryMap>()](const StoryRequest& r) { return tell_story(r, *map); }),
      hover(decode_checked),
      filter([](const FilterRequest& r) {
        static const std::vector<std::string> none;
        const std::vector<std::string>& names = r.names ? *r.names : r.data ? r.data->names : none;
        return FilterResult{filter_points(r.filter, r.count, names, r.labels.get())};
      }),
      expression(controller::run_expression) {}

void Workers::make_style(std::shared_ptr<const Space> space, std::string name, std::vector<std::string> a,
                          std::vector<std::string> b, std::vector<std::string> probe) {
  style_task.start(std::make_unique<Task<StyleVector>>([=](TaskContext& ctx) {
    const auto* st = space ? space->sentences() : nullptr;
    if (!st) throw UnsupportedError("the open model does not read sentences");
    return latent::make_style(*st, name, a, b, probe, std::to_string(a.size()) + " sentences typed as A",
                              std::to_string(b.size()) + " sentences typed as B",
                              [&](float f, const std::string& stage) { return ctx.progress(f, stage); });
  }));
}

namespace {

// Where the studio keeps packages it makes from bare generators:
// $XDG_DATA_HOME/latent-studio/models (~/.local/share when unset).
std::filesystem::path user_models_dir() {
  namespace fs = std::filesystem;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return fs::path(x) / "latent-studio" / "models";
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : ".") / ".local" / "share" / "latent-studio" / "models";
}

nlohmann::json import_json(const TorchScriptImport& spec, const nlohmann::json& probe) {
  return {{"generator", spec.generator}, {"encoder", spec.encoder}, {"out_dir", spec.out_dir}, {"latent", spec.latent},
          {"z_shape", spec.z_shape},     {"channels", spec.channels}, {"height", spec.height},
          {"width", spec.width},         {"range", {spec.range_lo, spec.range_hi}},
          {"prior", spec.prior},         {"probe", probe}};
}

// Writes the package without running the generator here, then checks the package in a
// separate process; a package that fails is removed.
// The import sheet's preview: 8 prior samples (seed 0), decoded in one batch.
std::vector<Image> preview_of(const Space& space) {
  const auto zs = space.sample(8, 0);
  return space.decode_batch(zs);
}

void import_checked(const TorchScriptImport& spec, const ModelCheckOptions& check, LoadedModel& out) {
  TorchScriptImport s = spec;
  s.verify = false;
  import_torchscript(s);
  const ModelCheckResult r = check_model_in_child(s.out_dir, check);
  if (!r.ok) {
    std::error_code ec;
    std::filesystem::remove_all(s.out_dir, ec);
    throw Error(spec.generator + " was imported as latent " + std::to_string(spec.latent) + ", " +
                std::to_string(spec.channels) + "x" + std::to_string(spec.height) + "x" + std::to_string(spec.width) +
                " but that package did not pass its check: " + r.message);
  }
  out.check_seconds += r.seconds;
  out.check_peak_mb = std::max(out.check_peak_mb, r.peak_rss_mb);
}

// A re-import (replacing the package) checked in a separate process, then opened with
// its preview: what Re-import and encoder pairing both do.
void open_reimport(TorchScriptImport spec, const ModelCheckOptions& check, const nlohmann::json& probe,
                   const OpenOptions& open, LoadedModel& out) {
  spec.replace = true;
  import_checked(spec, check, out);
  out.imported = import_json(spec, probe);
  out.space = open_space(spec.out_dir, open);
  out.preview = preview_of(*out.space);
}

}  // namespace

void Workers::open_model(const std::string& path_in, const ModelCheckOptions* check,
                          const TorchScriptImport* pair_with, const nlohmann::json& pair_probe) {
  std::optional<ModelCheckOptions> checked;
  if (check) checked = *check;
  std::optional<TorchScriptImport> pair;
  if (pair_with && check && is_torchscript_file(path_in)) pair = *pair_with;
  model_task.start(std::make_unique<Task<LoadedModel>>([path_in, checked, pair, pair_probe,
                                                    open = open_options](TaskContext& ctx) {
    LoadedModel out;
    std::string path = path_in;
    if (pair) {
      // Is it the encoder of the generator imported last? Checked in a separate process.
      ctx.progress(0.05f, "checking it as the encoder of " + pair->generator);
      ModelCheckOptions as_encoder = *checked;
      as_encoder.encoder_for = encoder_shape(*pair);
      const ModelCheckResult r = check_model_in_child(path, as_encoder);
      if (r.ok && r.report.contains("encoder")) {
        out.check_seconds = r.seconds;
        out.check_peak_mb = r.peak_rss_mb;
        TorchScriptImport spec = *pair;
        spec.encoder = path;
        ctx.progress(0.3f, "re-importing " + spec.generator + " with its encoder");
        open_reimport(spec, *checked, pair_probe, open, out);
        out.imported["encoder_output"] = r.report["encoder"].value("output", std::string());
        return out;
      }
      // Not its encoder: opened as a model of its own below.
    }
    if (checked) {
      ctx.progress(0.05f, "running the model in a separate process first");
      const ModelCheckResult r = check_model_in_child(path, *checked);
      if (!r.ok) throw Error(path + " was not opened: " + r.message);
      out.check_seconds = r.seconds;
      out.check_peak_mb = r.peak_rss_mb;
      if (r.report.contains("probe")) {
        // A bare TorchScript generator: a package from what the probe found, in the
        // person's models folder (a new name when it is taken).
        ctx.progress(0.3f, "making a package from what the probe found");
        const nlohmann::json& probe = r.report["probe"];
        const auto dir = user_models_dir();
        const std::string stem = std::filesystem::path(path).stem().string();
        std::filesystem::path target = dir / stem;
        for (int k = 2; std::filesystem::exists(target); ++k) target = dir / (stem + "-" + std::to_string(k));
        std::filesystem::create_directories(dir);
        const TorchScriptImport spec =
            import_from_probe(TorchScriptProbe::from_json(probe), path, target.string());
        import_checked(spec, *checked, out);
        out.imported = import_json(spec, probe);
        path = target.string();
      }
    }
    ctx.progress(0.5f, "reading " + path);
    std::shared_ptr<Space> space = open_space(path, open);
    ctx.progress(0.7f, "preparing components");
    if (const LinearBasis* basis = space->basis()) {
      out.explained_fraction = basis->explained_fraction();
      const int dim = space->info().dim;
      for (int k = 0; k < dim; ++k) {
        out.components.push_back(normalize_for_display(basis->component_image(k), true));
        if (!ctx.progress(0.7f + 0.3f * k / dim, "preparing components")) throw Cancelled();
      }
    }
    out.training_data = find_training_data(space->info().source);
    if (out.imported.is_object()) out.preview = preview_of(*space);
    out.space = std::move(space);
    return out;
  }));
}

void Workers::reimport_model(const TorchScriptImport& spec_in, const ModelCheckOptions& check,
                              const nlohmann::json& probe) {
  model_task.start(std::make_unique<Task<LoadedModel>>([spec_in, check, probe, open = open_options](TaskContext& ctx) {
    LoadedModel out;
    out.check_seconds = 0;
    ctx.progress(0.1f, "re-importing " + spec_in.generator);
    open_reimport(spec_in, check, probe, open, out);
    return out;
  }));
}

void Workers::open_index(std::shared_ptr<const Space> space) {
  index_task.start(std::make_unique<Task<std::shared_ptr<const ApproxIndex>>>([space](TaskContext& ctx) {
    const auto* wv = space ? space->words() : nullptr;
    if (!wv) throw UnsupportedError("only word vectors have an approximate index");
    const std::string path = ApproxIndex::path_for(wv->info().source);
    if (std::filesystem::exists(path)) {
      try {
        ctx.progress(0.f, "reading the cached index");
        return std::shared_ptr<const ApproxIndex>(ApproxIndex::load(path, *wv));
      } catch (const Error&) {
        // Stale or broken: rebuilt below.
      }
    }
    auto idx = ApproxIndex::build(*wv, {}, [&ctx](float f, const std::string& stage) { return ctx.progress(f, stage); });
    try {
      idx->save(path);
    } catch (const Error&) {
      // Not cached (read-only folder): built again next time.
    }
    return std::shared_ptr<const ApproxIndex>(std::move(idx));
  }));
}

namespace {
// A layout's points (N x 2) for the map panel's hover and pictures, built on the worker.
std::shared_ptr<const MapIndex> index_of(const RowMatrixXf& xy) {
  return std::make_shared<const MapIndex>(xy.data(), static_cast<long>(xy.rows()));
}
}  // namespace

void Workers::open_map(std::shared_ptr<const RowMatrixXf> points, ProjectionMethod method) {
  auto snapshot = map_snapshot;
  map_task.start(std::make_unique<Task<MapResult>>([points, method, snapshot](TaskContext& ctx) {
    MapResult out;
    out.method = to_string(method);
    if (method == ProjectionMethod::Pca) {
      ctx.progress(0.f, "PCA");
      ObservationShape shape{static_cast<int>(points->cols()), 1, 1, -1e30f, 1e30f};
      auto pca = PcaSpace::fit(*points, shape, PcaOptions{2, 0.0});
      out.xy = pca->encode_rows(*points);
      out.linear = true;
      out.mean = pca->mean();
      out.axes = pca->components();
      out.index = index_of(out.xy);
      return out;
    }
    ProjectionOptions opt;
    opt.method = method;
    opt.progress = [&ctx](float f, const std::string& stage) { return ctx.progress(f, stage); };
    // Each layout shown is copied and indexed here, not on the UI thread (a million points
    // take about 0.4 s); a layout comes at most every 19 times that, so showing them costs
    // the map at most 5% of its time. The first always comes.
    opt.snapshot = [snapshot, next = std::chrono::steady_clock::time_point{}](const RowMatrixXf& y) mutable {
      const auto t0 = std::chrono::steady_clock::now();
      if (t0 < next) return;
      auto index = index_of(y);
      {
        std::lock_guard<std::mutex> lock(snapshot->mutex);
        snapshot->xy = y;
        snapshot->index = std::move(index);
        ++snapshot->version;
      }
      const auto t1 = std::chrono::steady_clock::now();
      next = t1 + 19 * (t1 - t0);
    };
    out.xy = project_2d(*points, opt);
    out.index = index_of(out.xy);
    return out;
  }));
}

void Workers::invert_image(const std::string& path, std::shared_ptr<const Space> space) {
  invert_task.start(std::make_unique<Task<InvertDone>>([path, space](TaskContext& ctx) {
    if (!space || space->info().modality != Modality::Image)
      throw UnsupportedError("open an image model to put an image into its latent space");
    ctx.progress(0.f, "reading " + std::filesystem::path(path).filename().string());
    const auto& sh = space->info().observation;
    InvertDone out;
    out.path = path;
    out.original = convert_image(load_image(path), sh.width, sh.height, sh.channels);
    const Placement p = place_image(*space, out.original, [&ctx](float f, const std::string& stage) {
      return ctx.progress(f, stage);
    });
    out.z = p.z;
    out.reconstruction = p.reconstruction;
    out.mse = p.mse;
    out.how = p.how;
    return out;
  }));
}

void Workers::export_walk(std::shared_ptr<const Space> space, Walk walk, std::string path, VideoOptions options) {
  export_task.start(std::make_unique<Task<std::string>>([space, walk, path, options](TaskContext& ctx) mutable {
    walk.validate(space->info().dim);
    const int n = walk.frame_count(options.fps);
    if (n < 1) throw UnsupportedError("the walk is shorter than one frame at " + std::to_string(options.fps) + " fps");
    options.expected_frames = n;
    options.progress = [&ctx, n](float f, const std::string&) {
      return ctx.progress(f, "frame " + std::to_string(static_cast<int>(f * n)) + " of " + std::to_string(n));
    };
    auto writer = VideoWriter::open(path, options);
    for (long i = 0; i < n; ++i) writer->add(space->decode(walk.frame(i, options.fps)));
    writer->finish();
    char buf[512];
    std::snprintf(buf, sizeof buf, "wrote %d frames (%.2f s at %g fps, %dx%d, %s) to %s", n, n / options.fps,
                  options.fps, writer->width(), writer->height(), writer->describe().c_str(), path.c_str());
    return std::string(buf);
  }));
}

void Workers::export_grid(std::shared_ptr<const Space> space, Walk walk, std::string path, int steps, int scale) {
  export_task.start(std::make_unique<Task<std::string>>([space, walk, path, steps, scale](TaskContext& ctx) {
    walk.validate(space->info().dim);
    std::vector<Image> cells;
    const size_t segments = walk.keys.size() - (walk.loop ? 0 : 1);
    for (size_t sgm = 0; sgm < segments; ++sgm) {
      const std::vector<Latent> row =
          interpolate_row(walk.keys[sgm].z, walk.keys[(sgm + 1) % walk.keys.size()].z, steps, walk.keys[sgm].interp);
      for (int i = 0; i < steps; ++i) {
        const Latent& z = row[static_cast<size_t>(i)];
        cells.push_back(upscale_nearest(space->decode(z), scale));
        if (!ctx.progress(static_cast<float>(sgm * steps + i + 1) / (segments * steps), "decoding the grid"))
          throw Cancelled();
      }
    }
    save_png(make_grid(cells, steps), path);
    return "wrote a " + std::to_string(segments) + " x " + std::to_string(steps) + " grid to " + path;
  }));
}

void Workers::rank_influence(std::shared_ptr<const Space> space, Latent z) {
  influence_task.start(std::make_unique<Task<std::vector<float>>>([space, z](TaskContext& ctx) {
    return latent::rank_influence(*space, z, [&ctx](float f, const std::string& stage) { return ctx.progress(f, stage); });
  }));
}

void Workers::open_face_text(const std::string& path, SpaceInfo model, bool named) {
  const std::string device = open_options.device;
  face_text_task.start(std::make_unique<Task<FaceTextOpened>>([path, model, named, device](TaskContext& ctx) {
    ctx.progress(0.f, "opening " + std::filesystem::path(path).filename().string());
    FaceTextOpened out;
    out.path = path;
    out.model_source = model.source;
    std::shared_ptr<FaceText> vse;
    try {
      vse = FaceText::open(path, device);
    } catch (const Error& e) {
      if (named) throw;  // asked for by name: say why it did not open
      out.status = std::string("no description box: ") + e.what();
      return out;
    }
    out.vse = vse;
    face_text_readiness(*vse, model, out.ready, out.status);
    return out;
  }));
}

void face_text_readiness(const FaceText& vse, const SpaceInfo& model, bool& ready, std::string& status) {
  try {
    vse.map_for(model);
    ready = true;
    status = vse.name() + " (descriptions generated from CelebA labels)";
  } catch (const Error& e) {
    ready = false;
    status = e.what();
  }
}

void Workers::describe_face(std::shared_ptr<const FaceText> vse, std::shared_ptr<const Space> space, std::string text) {
  describe_task.start(std::make_unique<Task<DescribeDone>>([vse, space, text](TaskContext& ctx) {
    ctx.progress(0.f, "reading the description");
    DescribeDone out;
    out.text = text;
    out.model_source = space->info().source;
    out.z = vse->text_to_faces(text, *space, 1, 0, FaceText::kDefaultBestOf).front();  // the nearest of 8 drawn
    return out;
  }));
}

void Workers::nearest_descriptions(std::shared_ptr<const FaceText> vse, std::string path) {
  nearest_task.start(std::make_unique<Task<NearestDone>>([vse, path](TaskContext& ctx) {
    ctx.progress(0.f, "describing the photo");
    NearestDone out;
    out.path = path;
    out.nearest = vse->describe(load_image(path), 5);
    return out;
  }));
}

void Workers::open_dataset(const std::string& path, std::shared_ptr<const Space> space) {
  dataset_task.start(std::make_unique<Task<LoadedDataset>>([path, space](TaskContext& ctx) {
    if (!space) throw UnsupportedError("open a model before a dataset");
    if (space->info().modality != Modality::Image || !space->info().can_encode)
      throw UnsupportedError("model '" + space->info().name + "' cannot encode images, so it cannot map an image dataset");
    DatasetOptions opt;
    opt.progress = [&ctx](float f, const std::string& stage) { return ctx.progress(0.5f * f, stage); };
    LoadedDataset out;
    auto data = std::make_shared<ImageDataset>(load_dataset_for(*space, path, opt));
    out.name = std::filesystem::path(path).filename().string();
    ctx.progress(0.5f, "encoding");
    out.latents = std::make_shared<const RowMatrixXf>(encode_dataset(*space, *data, [&ctx](float f, const std::string& stage) {
      return ctx.progress(0.5f + 0.5f * f, stage);
    }));
    out.data = std::move(data);
    return out;
  }));
}

int atlas_cell(long count, int side) {
  for (int cell : {64, 48, 32, 24}) {
    if (cell > side) continue;
    if (static_cast<double>(count) * cell * cell <= 16.0 * 1024 * 1024) return cell;
  }
  return std::min(16, std::max(1, side));
}

ThumbnailAtlas make_thumbnail_atlas(const ImageDataset& data, int page_size, const std::function<bool(float)>& progress) {
  ThumbnailAtlas a;
  a.count = data.count();
  a.cell = atlas_cell(a.count, std::max(data.width, data.height));
  a.page_size = page_size;
  a.per_row = page_size / a.cell;
  a.per_page = static_cast<long>(a.per_row) * a.per_row;
  if (a.count == 0) return a;
  a.pages.resize(static_cast<size_t>((a.count + a.per_page - 1) / a.per_page));
  for (auto& p : a.pages) p.assign(static_cast<size_t>(page_size) * page_size * 4, 0);
  for (long i = 0; i < a.count; ++i) {
    const Image small = convert_image(data.image(i), a.cell, a.cell, 3);
    auto& page = a.pages[static_cast<size_t>(i / a.per_page)];
    const long c = i % a.per_page;
    const int x0 = static_cast<int>(c % a.per_row) * a.cell, y0 = static_cast<int>(c / a.per_row) * a.cell;
    for (int y = 0; y < a.cell; ++y)
      for (int x = 0; x < a.cell; ++x) {
        uint8_t* px = &page[(static_cast<size_t>(y0 + y) * page_size + x0 + x) * 4];
        for (int k = 0; k < 3; ++k)
          px[k] = static_cast<uint8_t>(std::lround(std::clamp(small.at(x, y, k), 0.f, 1.f) * 255.f));
        px[3] = 255;
      }
    if (progress && (i & 255) == 255 && !progress(static_cast<float>(i + 1) / a.count)) throw Cancelled();
  }
  return a;
}

void Workers::build_atlas(std::shared_ptr<const ImageDataset> data) {
  atlas_task.start(std::make_unique<Task<ThumbnailAtlas>>([data](TaskContext& ctx) {
    return make_thumbnail_atlas(*data, 2048, [&ctx](float f) { return ctx.progress(f, "pictures for the map"); });
  }));
}

void Workers::export_selection(std::shared_ptr<const ImageDataset> data, std::vector<long> items,
                                std::vector<std::string> label_columns,
                                std::vector<std::vector<std::string>> label_rows, std::string path, bool images) {
  selection_task.start(std::make_unique<Task<std::string>>([=](TaskContext& ctx) {
    namespace fs = std::filesystem;
    if (items.empty()) throw UnsupportedError("nothing is selected: hold shift and drag a lasso over the map first");
    auto name_of = [&](long i) {
      return i < static_cast<long>(data->names.size()) ? data->names[static_cast<size_t>(i)] : "#" + std::to_string(i);
    };
    if (!images) {
      // A CSV any spreadsheet reads: quoted where a field needs it.
      auto field = [](const std::string& v) {
        if (v.find_first_of(",\"\n") == std::string::npos) return v;
        std::string q = "\"";
        for (char ch : v) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        return q + "\"";
      };
      std::string out = "index,name";
      for (const auto& c : label_columns) out += "," + field(c);
      out += "\n";
      for (size_t k = 0; k < items.size(); ++k) {
        out += std::to_string(items[k]) + "," + field(name_of(items[k]));
        if (k < label_rows.size())
          for (const auto& v : label_rows[k]) out += "," + field(v);
        out += "\n";
      }
      const fs::path parent = fs::path(path).parent_path();
      if (!parent.empty()) fs::create_directories(parent);
      write_file_atomic(path, out);
      return "wrote a list of " + std::to_string(items.size()) + " items to " + path;
    }
    fs::create_directories(path);
    for (size_t k = 0; k < items.size(); ++k) {
      std::string stem = fs::path(name_of(items[k])).stem().string();
      if (stem.empty() || stem[0] == '#') stem = "item";
      char num[32];
      std::snprintf(num, sizeof num, "%06ld-", items[k]);
      save_png(data->image(items[k]), (fs::path(path) / (num + stem + ".png")).string());
      if (!ctx.progress(static_cast<float>(k + 1) / items.size(), "writing pictures")) throw Cancelled();
    }
    return "wrote " + std::to_string(items.size()) + " pictures to " + path;
  }));
}

}  // namespace studio
