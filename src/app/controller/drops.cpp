#include "controller/drops.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <utility>

namespace fs = std::filesystem;

namespace studio::controller {

namespace {

std::string lower_extension(const std::string& p) {
  std::string ext = fs::path(p).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

bool is_image_path(const std::string& p) {
  std::error_code ec;
  const std::string ext = lower_extension(p);
  return fs::is_regular_file(p, ec) && (ext == ".png" || ext == ".jpg" || ext == ".jpeg");
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
  std::error_code ec;
  return (fs::is_directory(p, ec) && fs::exists(fs::path(p) / "model.json", ec)) ||
         fs::path(p).filename() == "model.json";
}

}  // namespace

DropKind classify_drop(const std::string& p, const AppState& s) {
  const auto modality = s.model.info.modality;
  if (is_model_path(p) || latent::is_torchscript_file(p) || is_vectors_file(p)) return DropKind::Model;
  if (is_image_path(p) && s.model.loaded && modality == latent::Modality::Image) return DropKind::Invert;
  if (is_image_path(p) && s.model.loaded && modality == latent::Modality::Text) return DropKind::Story;
  if (is_session_file(p)) return DropKind::Session;
  return DropKind::Dataset;
}

bool may_open(const std::string& path, bool runs_code, AppState& s, const ConsentPlaces& c) {
  if (!runs_code || c.trusted->trusted(path)) return true;
  const std::string key = latent::model_package_key(path);
  if (std::find(c.this_run->begin(), c.this_run->end(), key) != c.this_run->end()) return true;
  s.model.consent_path = path;
  s.model.consent_place = latent::model_place(path);
  s.actions.drop_if<act::AnswerConsent>([](const act::AnswerConsent&) { return true; });  // none left from before
  return false;
}

std::string answer_consent(AppState& s, const ConsentPlaces& c, const std::string& showing) {
  using act::Consent;
  const auto answered = s.actions.take_last<act::AnswerConsent>();
  if (s.model.consent_path.empty() || !answered) return "";
  const std::string path = std::exchange(s.model.consent_path, "");
  if (answered->answer == Consent::Cancel) {
    s.actions.drop_if<act::OpenModel>([&](const act::OpenModel& o) { return o.path == path; });
    return path + " was not opened: you chose not to run a model from " + s.model.consent_place +
           (showing.empty() ? "." : ". Still showing '" + showing + "'.");
  }
  c.this_run->push_back(latent::model_package_key(path));
  if (answered->answer == Consent::TrustFolder) {
    try {
      c.trusted->trust(path);
    } catch (const std::exception& e) {
      return std::string(e.what()) + " (the model opens this time; you will be asked again)";
    }
  }
  return "";
}

}  // namespace studio::controller
