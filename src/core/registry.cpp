#include "latent/registry.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>

#include "latent/errors.h"
#include "latent/model_package.h"
#include "latent/pca_space.h"
#include "latent/torch_module.h"
#include "latent/word_vectors.h"

namespace fs = std::filesystem;

namespace latent {

namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, SpaceFactory> kinds;
};

Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry();  // never destroyed: usable from any thread until exit
    reg->kinds["pca"] = [](const std::string& dir, const nlohmann::json& header,
                           const OpenOptions&) -> std::unique_ptr<Space> {
      return PcaSpace::load(dir, header);
    };
    // The LibTorch kinds (torch_kinds()) are registered by latent_torch when it is opened.
    reg->kinds["word-vectors"] = [](const std::string& dir, const nlohmann::json& header,
                                    const OpenOptions&) -> std::unique_ptr<Space> {
      const std::string file = (fs::path(dir) / "model.json").string();
      const auto files = require_field<nlohmann::json>(header, "files", file);
      auto wv = WordVectors::open((fs::path(dir) / require_field<std::string>(files, "vectors", file)).string());
      wv->set_name(header.value("name", fs::path(dir).filename().string()));
      return wv;
    };
    return reg;
  }();
  return *r;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::vector<std::string> known_kinds() {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> out;
  for (const auto& [k, _] : r.kinds) out.push_back(k);
  for (const auto& k : torch_kinds())  // opened on demand
    if (!r.kinds.count(k)) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

void register_kind(const std::string& kind, SpaceFactory factory) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.kinds[kind] = std::move(factory);
}

std::unique_ptr<Space> open_space(const std::string& path, const OpenOptions& options) {
  check_device_name(options.device);
  // A bare word-vectors file (word2vec, GloVe, fastText .vec, .lsv) opens by its format.
  if (fs::is_regular_file(path) && fs::path(path).filename() != "model.json") {
    try {
      return WordVectors::open(path);
    } catch (const Cancelled&) {
      throw;
    } catch (...) {
      rethrow_with_context("opening " + path + " as word vectors (the only kind of bare file that opens "
                           "without a model.json)");
    }
  }
  const std::string dir = package_dir(path);
  const nlohmann::json header = read_model_json(dir);
  const std::string file = (fs::path(dir) / "model.json").string();
  const std::string kind = require_field<std::string>(header, "kind", file);
  SpaceFactory factory;
  {
    auto& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.kinds.find(kind);
    if (it != r.kinds.end()) factory = it->second;
  }
  if (!factory) {
    const auto& lt = torch_kinds();
    if (std::find(lt.begin(), lt.end(), kind) != lt.end()) {
      try {
        require_torch_module();
      } catch (...) {
        rethrow_with_context("opening model " + dir + " of kind \"" + kind + "\"");
      }
      auto& r = registry();
      std::lock_guard<std::mutex> lock(r.mutex);
      auto it = r.kinds.find(kind);
      if (it != r.kinds.end()) factory = it->second;
    }
  }
  if (!factory)
    throw UnsupportedError(file + ": unknown model kind \"" + kind + "\" (known kinds: " + join(known_kinds()) + ")");
  try {
    return factory(dir, header, options);
  } catch (const Cancelled&) {
    throw;
  } catch (...) {
    rethrow_with_context("opening model " + dir);
  }
}

}  // namespace latent
