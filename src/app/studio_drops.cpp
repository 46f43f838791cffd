// Dropped files and consent: when a dropped path's turn comes and where it goes; what it
// is and the consent prompt's answer are controller/drops.cpp's.
#include "studio.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace studio {

Studio::DropKind Studio::drop_kind(const std::string& p) const { return controller::classify_drop(p, state_); }

bool Studio::busy_with_drop(DropKind kind) const {
  // Whatever comes next waits for a model being opened (or waiting for consent): it
  // belongs to the model that will be there.
  const bool model_busy = workers_.model_task || state_.actions.waiting<act::OpenModel>() || !state_.model.consent_path.empty();
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
    case DropKind::Model: state_.actions.push(act::OpenModel{p}), state_.model.path_input = p; break;
    case DropKind::Invert: state_.actions.push(act::PlaceImage{p}); break;
    case DropKind::Story: story_drop_ = p; break;
    case DropKind::Session: state_.session.path_input = p, open_session(p); break;
    case DropKind::Dataset: state_.actions.push(act::OpenDataset{p}), state_.dataset.path_input = p; break;
  }
}

bool Studio::may_open(const std::string& path, bool runs_code) {
  return controller::may_open(path, runs_code, state_, {&trusted_, &consented_places_});
}

void Studio::handle_consent() {
  const std::string message =
      controller::answer_consent(state_, {&trusted_, &consented_places_}, space_ ? space_->info().name : "");
  if (!message.empty()) show_error(state_.model.error, message);
}

}  // namespace studio
