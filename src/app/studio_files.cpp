// Paths chosen with the desktop's file dialog. A panel's "..." button asks; here, between
// frames, the (modal) dialog is shown, and the chosen path goes into the field and is
// acted on as the field's own button would. A cancelled dialog changes nothing.
#include <filesystem>

#include "file_dialog.h"
#include "studio.h"

namespace studio {

namespace fs = std::filesystem;

namespace {

bool is_picture(const fs::path& p) {
  std::string e = p.extension().string();
  for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e == ".png" || e == ".jpg" || e == ".jpeg" || e == ".bmp" || e == ".pgm" || e == ".ppm";
}

}  // namespace

void Studio::handle_file_dialog() {
  using P = AppState::PathFor;
  const std::optional<act::ChooseFile> ask = state_.actions.take_last<act::ChooseFile>();
  const P what = ask ? ask->what : P::None;
  if (what == P::None) return;
  FileDialogRequest r;
  switch (what) {
    case P::Model:
      r = {FileDialogKind::Open, "Open a model", state_.model.path_input,
           {{"Models (model.json, word vectors, TorchScript)", "model.json;*.txt;*.vec;*.bin;*.lsv;*.pt;*.pth;*.ts"},
            {"All files", "*"}}};
      break;
    case P::Dataset:
      r = {FileDialogKind::Open, "Load a dataset", state_.dataset.path_input,
           {{"Datasets (IDX, array .json, or an image in a folder)", "*.gz;*-ubyte;*.idx;*.json;*.png;*.jpg;*.jpeg"},
            {"All files", "*"}}};
      break;
    case P::Labels:
      r = {FileDialogKind::Open, "Labels for the dataset", state_.labels.path_input,
           {{"Label tables (.csv)", "*.csv"}, {"All files", "*"}}};
      break;
    case P::SessionOpen:
      r = {FileDialogKind::Open, "Open a session", state_.session.path_input,
           {{"Sessions (.json)", "*.json"}, {"All files", "*"}}};
      break;
    case P::SessionSave:
      r = {FileDialogKind::Save, "Save the session as",
           state_.session.path_input.empty() ? std::string("session.json") : state_.session.path_input,
           {{"Sessions (.json)", "*.json"}}};
      break;
    case P::Export:
      r = {FileDialogKind::Save, "Export the walk to", state_.exports.path,
           {{"Video and animation (.mp4, .gif)", "*.mp4;*.gif"}, {"All files", "*"}}};
      break;
    case P::Selection:
      r = {FileDialogKind::Save, "Save the selection to", state_.map.selection_path, {}};
      break;
    case P::None: return;
  }
  std::optional<std::string> chosen;
  try {
    chosen = run_file_dialog(r);
    state_.files.status.clear();
  } catch (const std::exception& e) {
    show_error(state_.files.status, e.what());
    return;
  }
  // The frame after a modal wait is not a slow frame the performance panel should show.
  last_frame_time_ = 0;
  if (!chosen) return;  // cancelled: nothing changes
  fs::path p = *chosen;
  switch (what) {
    case P::Model:
      if (p.filename() == "model.json") p = p.parent_path();
      state_.model.path_input = p.string();
      state_.actions.push(act::OpenModel{p.string()});
      break;
    case P::Dataset:
      if (is_picture(p)) p = p.parent_path();  // one picture stands for its folder
      state_.dataset.path_input = p.string();
      state_.actions.push(act::OpenDataset{p.string()});
      break;
    case P::Labels: state_.labels.path_input = p.string(); break;
    case P::SessionOpen: open_session(p.string()); break;
    case P::SessionSave:
      if (p.extension().empty()) p += ".json";
      state_.session.path_input = p.string();
      state_.actions.push(act::SaveSession{p.string()});
      break;
    case P::Export: state_.exports.path = p.string(); break;
    case P::Selection: {
      if (p.extension() == ".csv") p.replace_extension();
      state_.map.selection_path = p.string();
      break;
    }
    case P::None: break;
  }
}

}  // namespace studio
