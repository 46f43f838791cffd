#include "controller/model.h"

#include <cstdio>

namespace studio::controller {

latent::TorchScriptImport import_spec(const ImportSheet& im) {
  latent::TorchScriptImport spec;
  spec.generator = im.generator;
  spec.encoder = im.encoder;
  spec.out_dir = im.out_dir;
  spec.latent = im.latent;
  spec.z_shape = im.z4d ? "4d" : "flat";
  spec.channels = im.chw[0], spec.height = im.chw[1], spec.width = im.chw[2];
  spec.range_lo = im.range[0], spec.range_hi = im.range[1];
  spec.prior = im.prior ? "uniform" : "normal";
  return spec;
}

void fill_import_sheet(const nlohmann::json& j, const nlohmann::json& probe, AppState& s) {
  ImportSheet& im = s.import_sheet;
  im.shown = true;
  s.actions.drop_if<act::Reimport>([](const act::Reimport&) { return true; });
  im.generator = j.value("generator", std::string());
  im.encoder = j.value("encoder", std::string());
  im.out_dir = j.value("out_dir", std::string());
  im.latent = j.value("latent", 0);
  im.z4d = j.value("z_shape", std::string()) == "4d" ? 1 : 0;
  im.chw[0] = j.value("channels", 0), im.chw[1] = j.value("height", 0), im.chw[2] = j.value("width", 0);
  const auto r = j.value("range", std::vector<float>{-1.f, 1.f});
  if (r.size() == 2) im.range[0] = r[0], im.range[1] = r[1];
  im.prior = j.value("prior", std::string()) == "uniform" ? 1 : 0;
  const nlohmann::json p = probe.is_object() ? probe : nlohmann::json::object();
  char found[400];
  std::snprintf(found, sizeof found, "latent %d as %s, images %dx%dx%d (C,H,W), output range %g..%g (%s; 32 samples "
                "span %.3f..%.3f), %s prior",
                im.latent, im.z4d ? "[B,D,1,1]" : "[B,D]", im.chw[0], im.chw[1], im.chw[2], im.range[0], im.range[1],
                p.value("range_guess", std::string("given")).c_str(), p.value("sample_min", 0.0),
                p.value("sample_max", 0.0), im.prior ? "uniform" : "normal");
  im.found = found;
  if (!im.encoder.empty())
    im.found += "; encoder " + im.encoder + " (gives " + j.value("encoder_output", std::string("a mean")) + ")";
}

std::string show_model(const latent::SpaceInfo& info, const std::vector<float>& scale, double explained_fraction,
                       const std::optional<latent::Latent>& start, AppState& s) {
  s.model.loaded = true;
  s.model.info = info;
  s.model.scale = scale;
  s.model.explained_fraction = explained_fraction;
  s.model.path_input = info.source;
  s.sliders.z.assign(static_cast<size_t>(info.dim), 0.f);
  std::string error;
  if (start) {
    if (static_cast<int>(start->size()) == info.dim) s.sliders.z = *start;
    else error = "the starting latent has " + std::to_string(start->size()) + " values, the model " + std::to_string(info.dim);
  }
  if (s.sliders.highlight_dim >= info.dim) s.sliders.highlight_dim = -1;
  s.sliders.influence.clear();
  if (s.sliders.top_n > 0) s.actions.push(act::RankInfluence{});  // rank for the new model
  return error;
}

}  // namespace studio::controller
