#pragma once
// A model in the studio's state, apart from its textures and workers: the import sheet of
// a bare TorchScript generator (what the probe found, as the person corrects it, and back
// into an import), and a newly opened model's info, point and sliders. No GL or ImGui:
// tests/test_controllers.cpp drives this without a window.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "app_state.h"
#include "latent/space.h"
#include "latent/torch_space.h"

namespace studio::controller {

// The import an import sheet describes: what the probe found, as the person corrected it.
latent::TorchScriptImport import_spec(const ImportSheet& im);

// Fills the import sheet from the package's record of its import (`imported`: generator,
// encoder, shapes, range, prior) and the probe of the bare generator (`probe`: its range
// guess and the samples' span), and shows it; a re-import asked before is dropped.
void fill_import_sheet(const nlohmann::json& imported, const nlohmann::json& probe, AppState& s);

// A newly opened model in the state: its info and prior's scale, the point at the origin
// (or `start`, when it has the model's size; else the error returned, for the Model
// panel), the highlighted slider kept in range, and the influence ranking asked again when
// the sliders show only the most influential.
std::string show_model(const latent::SpaceInfo& info, const std::vector<float>& scale, double explained_fraction,
                       const std::optional<latent::Latent>& start, AppState& s);

}  // namespace studio::controller
