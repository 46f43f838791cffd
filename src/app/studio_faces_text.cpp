// Faces and words in the studio (latent/face_text.h): the face-text space for the open
// face model is opened beside it; a description typed in the Model panel moves the point
// to the face it makes; a photo dropped on the window gets its nearest descriptions.
#include <algorithm>
#include <filesystem>

#include "studio.h"

namespace fs = std::filesystem;

namespace studio {

void Studio::open_face_text_for_model() {
  auto& ft = state_.faces_text;
  ft.ready = false;
  ft.error.clear();
  ft.status.clear();
  const auto& info = state_.model.info;
  if (info.modality != latent::Modality::Image) return;
  std::string path = opts_.vse;
  const bool named = !path.empty();
  if (!named) {
    // A faces-vse package beside the model's folder (models/celeba-dcgan -> models/faces-vse).
    fs::path dir(info.source);
    if (fs::is_regular_file(dir)) dir = dir.parent_path();
    const fs::path beside = dir.parent_path() / "faces-vse";
    if (!fs::exists(beside / "model.json")) return;
    // Found, not named: offered only when it has a map to this model (read from the maps'
    // headers, without opening the networks), so other models stay as they were.
    const auto models = latent::FaceText::mapped_models(beside.string());
    if (std::find(models.begin(), models.end(), info.name) == models.end()) return;
    path = beside.string();
  }
  if (face_text_ && face_text_path_ == path) {
    // The same package: only its map to the new model is in question.
    face_text_readiness(*face_text_, info, ft.ready, ft.status);
    return;
  }
  workers_.open_face_text(path, info, named);
  ft.progress = {true, 0.f, "opening the face-text space"};
}

void Studio::describe_photo_if_ready() {
  auto& ft = state_.faces_text;
  if (!ft.ready || !face_text_ || last_photo_.empty() || workers_.nearest_task) return;
  if (ft.nearest_for == fs::path(last_photo_).filename().string()) return;
  workers_.nearest_descriptions(face_text_, last_photo_);
}

void Studio::take_face_text_actions() {
  auto& ft = state_.faces_text;
  // A description waits while the model or its face-text space opens.
  if (workers_.model_task || state_.actions.waiting<act::OpenModel>() || !state_.model.consent_path.empty() ||
      workers_.face_text_task || workers_.describe_task)
    return;
  const auto d = state_.actions.take_last<act::DescribeFace>();
  if (!d) return;
  if (!space_) {
    show_error(ft.error, "open a face model first: a description becomes a point of the model open");
    return;
  }
  if (!ft.ready || !face_text_) {
    show_error(ft.error, "no description box for " + state_.model.info.name + ": " +
                             (ft.status.empty() ? "no face-text space (train one with `latent train vse`, or start with --vse DIR)"
                                                : ft.status));
    return;
  }
  ft.text = d->text;
  ft.error.clear();
  workers_.describe_face(face_text_, space_, d->text);
  ft.progress = {true, 0.f, "reading the description"};
}

void Studio::poll_face_text() {
  auto& ft = state_.faces_text;
  workers_.face_text_task.poll(
      ft.progress,
      [&](FaceTextOpened o) {
        if (o.model_source != state_.model.info.source) return;  // another model opened meanwhile
        face_text_ = o.vse;
        face_text_path_ = o.path;
        ft.vse = o.vse ? o.vse->name() : "";
        ft.ready = o.ready;
        ft.status = o.status;
      },
      [&](const std::string& e) { show_error(ft.error, e); });
  workers_.describe_task.poll(
      ft.progress,
      [&](DescribeDone d) {
        if (d.model_source != state_.model.info.source || static_cast<int>(d.z.size()) != state_.model.info.dim) return;
        state_.sliders.z = d.z;
        ft.described = d.text;
        state_.dataset.picked = -1;
      },
      [&](const std::string& e) { show_error(ft.error, e); });
  Progress nearest_progress;
  workers_.nearest_task.poll(
      nearest_progress,
      [&](NearestDone n) {
        ft.nearest.clear();
        for (const auto& d : n.nearest) ft.nearest.emplace_back(d.text, d.score);
        ft.nearest_for = fs::path(n.path).filename().string();
      },
      [&](const std::string& e) { show_error(ft.error, "could not describe the photo: " + e); });
  describe_photo_if_ready();
}

}  // namespace studio
