#pragma once
// Files dropped on the window, and the question asked before a model that runs code
// (TorchScript, LibTorch weights) opens from a folder the person has not trusted. What a
// dropped path is, whether a model may open now, and the prompt's answer applied. No GL:
// tested without a window (tests/test_controllers.cpp). When a drop's turn comes (the
// workers it needs are free) stays with the Studio, which owns the workers.
#include <string>
#include <vector>

#include "app_state.h"
#include "latent/model_sandbox.h"

namespace studio::controller {

enum class DropKind { Model, Invert, Story, Session, Dataset };

// What a dropped path is: a model (a package, its model.json, a TorchScript file, word
// vectors), a picture to put into the open image model (Invert) or to tell a story of with
// the open sentence model (Story), a session, or else a dataset.
DropKind classify_drop(const std::string& path, const AppState& s);

// Where consent is kept: the person's trusted folders (written down as they answer), and
// the packages consented to for this run only ("Open once", and what the command line
// named).
struct ConsentPlaces {
  latent::TrustedPlaces* trusted = nullptr;
  std::vector<std::string>* this_run = nullptr;
};

// Whether the model at `path` may open now. One that runs code from a place not trusted
// raises the prompt instead (`s.model.consent_path`, `s.model.consent_place`) and waits for
// act::AnswerConsent; answers left from an earlier prompt are dropped.
bool may_open(const std::string& path, bool runs_code, AppState& s, const ConsentPlaces& c);

// Takes the prompt's answer, if one is queued while the prompt is up. Cancel drops the
// queued request to open that model; Open once consents for this run; Trust the folder
// also writes the folder down. Returns what to tell the person in the model's message
// line ("" = nothing): why the model did not open, or that trusting could not be saved.
// `showing` names the model open now ("" = none).
std::string answer_consent(AppState& s, const ConsentPlaces& c, const std::string& showing);

}  // namespace studio::controller
