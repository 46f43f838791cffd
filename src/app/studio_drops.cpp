// Dropped files and consent: what a dropped path is, where it goes, and the question
// asked before a model from a new folder runs its code.
#include "studio.h"

#define GLFW_INCLUDE_NONE

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "latent/algebra.h"
#include "latent/directions.h"
#include "latent/errors.h"
#include "latent/expression.h"
#include "latent/image_io.h"
#include "latent/latent_io.h"
#include "latent/model_package.h"
#include "latent/torch_space.h"
#include "latent/walk.h"
#include "latent/workspace.h"

namespace fs = std::filesystem;

namespace studio {

namespace {

std::string lower_extension(const std::string& p) {
  std::string ext = fs::path(p).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

bool is_image_path(const std::string& p) {
  const std::string ext = lower_extension(p);
  return fs::is_regular_file(p) && (ext == ".png" || ext == ".jpg" || ext == ".jpeg");
}

// A session: a .json file whose first 4 KiB name the session format.
bool is_session_file(const std::string& p) {
  std::error_code ec;
  if (lower_extension(p) != ".json" || !fs::is_regular_file(p, ec)) return false;
  std::ifstream in(p, std::ios::binary);
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head.find("latent-studio-session") != std::string::npos;
}

// Word vectors open as a model by themselves (word2vec, GloVe, fastText, the .lsv cache).
bool is_vectors_file(const std::string& p) {
  std::error_code ec;
  const std::string ext = lower_extension(p);
  return fs::is_regular_file(p, ec) && (ext == ".vec" || ext == ".lsv" || ext == ".bin" || ext == ".txt");
}

bool is_model_path(const std::string& p) {
  return (fs::is_directory(p) && fs::exists(fs::path(p) / "model.json")) || fs::path(p).filename() == "model.json";
}

}  // namespace

Studio::DropKind Studio::drop_kind(const std::string& p) const {
  const auto modality = state_.model.info.modality;
  if (is_model_path(p) || latent::is_torchscript_file(p) || is_vectors_file(p)) return DropKind::Model;
  if (is_image_path(p) && space_ && modality == latent::Modality::Image) return DropKind::Invert;
  if (is_image_path(p) && space_ && modality == latent::Modality::Text) return DropKind::Story;
  if (is_session_file(p)) return DropKind::Session;
  return DropKind::Dataset;
}

bool Studio::busy_with_drop(DropKind kind) const {
  // Whatever comes next waits for a model being opened (or waiting for consent): it
  // belongs to the model that will be there.
  const bool model_busy = workers_.model_task || state_.actions.waiting<act::OpenModel>() || !state_.consent_path.empty();
  const bool dataset_busy = workers_.dataset_task || state_.actions.waiting<act::OpenDataset>();
  switch (kind) {
    case DropKind::Model: return model_busy;
    case DropKind::Invert: return model_busy || workers_.invert_task || state_.actions.waiting<act::PlaceImage>();
    case DropKind::Story: return model_busy || !story_drop_.empty();
    case DropKind::Session: return model_busy || dataset_busy;
    case DropKind::Dataset: return model_busy || dataset_busy;
  }
  return false;
}

void Studio::route_dropped(const std::string& p) {
  switch (drop_kind(p)) {
    case DropKind::Model: state_.actions.push(act::OpenModel{p}), state_.model_path_input = p; break;
    case DropKind::Invert: state_.actions.push(act::PlaceImage{p}); break;
    case DropKind::Story: story_drop_ = p; break;
    case DropKind::Session: state_.session_path_input = p, open_session(p); break;
    case DropKind::Dataset: state_.actions.push(act::OpenDataset{p}), state_.dataset_path_input = p; break;
  }
}

bool Studio::may_open(const std::string& path, bool runs_code) {
  if (!runs_code || trusted_.trusted(path)) return true;
  const std::string key = latent::model_package_key(path);
  if (std::find(consented_places_.begin(), consented_places_.end(), key) != consented_places_.end()) return true;
  state_.consent_path = path;
  state_.consent_place = latent::model_place(path);
  state_.actions.drop_if<act::AnswerConsent>([](const act::AnswerConsent&) { return true; });  // none left from before
  return false;
}

void Studio::handle_consent() {
  using act::Consent;
  const auto answered = state_.actions.take_last<act::AnswerConsent>();
  if (state_.consent_path.empty() || !answered) return;
  const std::string path = std::exchange(state_.consent_path, "");
  const Consent answer = answered->answer;
  if (answer == Consent::Cancel) {
    state_.actions.drop_if<act::OpenModel>([&](const act::OpenModel& o) { return o.path == path; });
    show_error(state_.model_error, path + " was not opened: you chose not to run a model from " + state_.consent_place +
                                       (space_ ? ". Still showing '" + space_->info().name + "'." : "."));
    return;
  }
  consented_places_.push_back(latent::model_package_key(path));
  if (answer == Consent::TrustFolder) {
    try {
      trusted_.trust(path);
    } catch (const std::exception& e) {
      show_error(state_.model_error, std::string(e.what()) + " (the model opens this time; you will be asked again)");
    }
  }
}

}  // namespace studio
