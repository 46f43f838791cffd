#pragma once
// The studio's workers (formerly the Renderer): they hold the model and the dataset and do
// all work on them, off the UI thread. Includes no ImGui and no GL: it produces images;
// the Studio uploads them.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controller/map.h"
#include "controller/points.h"
#include "controller/story.h"
#include "task_slot.h"
#include "latent/dataset.h"
#include "latent/face_text.h"
#include "latent/jobs.h"
#include "latent/labels.h"
#include "latent/model_sandbox.h"
#include "latent/registry.h"
#include "latent/torch_space.h"
#include "latent/space.h"
#include "latent/word_vectors.h"
#include "latent/approx_index.h"
#include "latent/projection.h"
#include "latent/storyteller.h"
#include "latent/video_export.h"
#include "latent/walk.h"

#include <functional>
#include <mutex>

namespace studio {

struct LoadedModel {
  std::shared_ptr<const latent::Space> space;
  std::vector<latent::Image> components;  // display-normalized eigenfaces (PCA only)
  double explained_fraction = -1;
  std::string training_data;  // the dataset it was trained on, where that still exists
  double check_seconds = -1;  // the separate-process check (models that run code), or -1
  long check_peak_mb = 0;
  // A bare TorchScript generator made into a package: its probe, the import it made
  // (generator, out_dir, latent, z_shape, channels, height, width, range, prior).
  nlohmann::json imported;
  std::vector<latent::Image> preview;  // an imported generator's first 8 prior samples
};

struct LoadedDataset {
  std::shared_ptr<const latent::ImageDataset> data;  // converted to the model's shape
  std::shared_ptr<const latent::RowMatrixXf> latents; // every item encoded, a row each (never null)
  std::string name;
};

// What a decode produces: an image, (for word vectors) the nearest words, or (for
// sentence models) a sentence.
struct Decoded {
  latent::Image image;
  std::vector<latent::RankedWord> words;
  std::string text;
};

// Captions -> a passage (controller/story.h).
using controller::StoryRequest;
using controller::StoryResult;

struct WordRequest {
  std::shared_ptr<const latent::Space> space;
  std::shared_ptr<const latent::ApproxIndex> index;  // null: exact search
  std::string query;
  int k = 10;
  bool keep_inputs = false;
  latent::AnalogyMethod method = latent::AnalogyMethod::CosAdd;
};
struct WordResult {
  std::string query;
  latent::QueryResult result;
  std::vector<std::string> inputs;
  std::vector<std::pair<float, float>> answer_xy, input_xy;  // the neighbourhood map
  latent::Latent point;  // the query's point: the weighted sum of the words' vectors
};

struct DecodeRequest {
  std::shared_ptr<const latent::Space> space;
  std::shared_ptr<const latent::ApproxIndex> index;  // word models: approximate nearest words
  latent::Latent z;
};

struct PickRequest {
  std::shared_ptr<const latent::Space> space;
  std::shared_ptr<const latent::ImageDataset> data;
  long index = -1;
  latent::Latent z;
};
struct PickResult {
  long index = -1;
  latent::Image original, reconstruction, error;  // error: a heat map
  double rmse = 0, max_error = 0;
};

// An image put into the latent space.
struct InvertDone {
  std::string path;
  latent::Latent z;
  latent::Image original, reconstruction;  // at the model's shape
  double mse = 0;
  std::string how;                         // "encoder", "gradient descent, ..."
};

// A face-text space opened for a face model: ready when it has a map to the model.
struct FaceTextOpened {
  std::shared_ptr<const latent::FaceText> vse;
  std::string path, model_source;
  bool ready = false;
  std::string status;  // "faces-vse: type a description" or why not
};
// Whether `vse` can turn descriptions into points of `model` (it has a map to it), and the
// line the Model panel shows: the space's name, or why not.
void face_text_readiness(const latent::FaceText& vse, const latent::SpaceInfo& model, bool& ready, std::string& status);

struct DescribeDone {
  std::string text, model_source;
  latent::Latent z;
};
struct NearestDone {
  std::string path;
  std::vector<latent::NearestDescription> nearest;
};

// A map, and the map filter's request and answer (controller/map.h).
using controller::FilterRequest;
using controller::FilterResult;
using controller::MapResult;

// The newest intermediate layout of a running map, shared with the UI thread.
struct MapSnapshot {
  std::mutex mutex;
  latent::RowMatrixXf xy;
  std::shared_ptr<const latent::MapIndex> index;  // of xy, built on the worker
  uint64_t version = 0;
};

// The dataset's pictures, small, packed into square RGBA8 pages for the map: item i is
// in page i / per_page, at cell (i % per_page) % per_row, (i % per_page) / per_row.
struct ThumbnailAtlas {
  int cell = 0;       // pixels per side of one picture
  int page_size = 0;  // pixels per side of one page
  int per_row = 0;    // cells per row of a page
  long per_page = 0;
  long count = 0;
  std::vector<std::vector<uint8_t>> pages;
};
// The cell size for `count` pictures of `side` pixels: 64, 48, 32, 24 or 16, the largest
// that keeps the atlas within 16 M pixels (64 MB), and no larger than the pictures.
int atlas_cell(long count, int side);
ThumbnailAtlas make_thumbnail_atlas(const latent::ImageDataset& data, int page_size,
                                    const std::function<bool(float)>& progress = {});

class Workers {
 public:
  Workers();

  // With `check` (for models that run code, latent::model_runs_code), the model is first
  // opened and run in a separate process under it (a memory cap and a timeout); only if
  // that passes is it opened here. A failed check is the task's error, in words.
  // With `pair_with` (the generator imported last) and a bare TorchScript file, the file
  // is checked first as that generator's encoder: if it is one, the generator is
  // re-imported with it; if not, it is opened as usual.
  // How models are opened here (the device the person chose); tasks started later use it.
  latent::OpenOptions open_options;
  void open_model(const std::string& path, const latent::ModelCheckOptions* check = nullptr,
                  const latent::TorchScriptImport* pair_with = nullptr, const nlohmann::json& pair_probe = {});
  // Re-imports a bare TorchScript generator with what the person corrected (replacing the
  // package), checks the package in a separate process, and opens it.
  void reimport_model(const latent::TorchScriptImport& spec, const latent::ModelCheckOptions& check,
                      const nlohmann::json& probe);
  void open_dataset(const std::string& path, std::shared_ptr<const latent::Space> space);

  latent::LatestWorker<DecodeRequest, Decoded> decoder;
  latent::LatestWorker<WordRequest, WordResult> words;
  latent::LatestWorker<PickRequest, PickResult> picker;
  latent::LatestWorker<StoryRequest, StoryResult> story;
  latent::LatestWorker<DecodeRequest, Decoded> hover;  // the map point under the pointer, decoded
  latent::LatestWorker<FilterRequest, FilterResult> filter;  // the map filter, newest text wins
  // The expression box (controller/points.h): enc() encodes pictures, mean() averages groups.
  latent::LatestWorker<controller::ExpressionJob, latent::Latent> expression;
  // The map's pictures, built once per dataset.
  void build_atlas(std::shared_ptr<const latent::ImageDataset> data);
  TaskSlot<ThumbnailAtlas> atlas_task;
  // The lasso's selection written out: a CSV list (index, name and the label columns) or a
  // folder of its pictures as PNG files.
  void export_selection(std::shared_ptr<const latent::ImageDataset> data, std::vector<long> items,
                        std::vector<std::string> label_columns, std::vector<std::vector<std::string>> label_rows,
                        std::string path, bool images);
  TaskSlot<std::string> selection_task;
  // A style vector from two lists of sentences (sentence models), calibrated on `probe`.
  void make_style(std::shared_ptr<const latent::Space> space, std::string name, std::vector<std::string> a,
                  std::vector<std::string> b, std::vector<std::string> probe);
  TaskSlot<latent::StyleVector> style_task;
  TaskSlot<LoadedModel> model_task;
  TaskSlot<LoadedDataset> dataset_task;
  // Opens (or builds and caches) the approximate index of a large vocabulary.
  void open_index(std::shared_ptr<const latent::Space> space);
  TaskSlot<std::shared_ptr<const latent::ApproxIndex>> index_task;
  // Maps `points` to 2-D on a task; intermediate layouts appear in map_snapshot.
  void open_map(std::shared_ptr<const latent::RowMatrixXf> points, latent::ProjectionMethod method);
  TaskSlot<MapResult> map_task;
  // Puts an image file into the latent space (encoder, refined or replaced by gradient
  // descent for neural models).
  void invert_image(const std::string& path, std::shared_ptr<const latent::Space> space);
  TaskSlot<InvertDone> invert_task;
  // Writes the walk's frames (decoded here, off the UI thread) as MP4, GIF or PNG frames;
  // the result is a line for people ("wrote 180 frames ... to walk.mp4").
  void export_walk(std::shared_ptr<const latent::Space> space, latent::Walk walk, std::string path,
                   latent::VideoOptions options);
  // An interpolation sheet: one row per segment of the walk, `steps` images each.
  void export_grid(std::shared_ptr<const latent::Space> space, latent::Walk walk, std::string path, int steps,
                   int scale);
  TaskSlot<std::string> export_task;
  // Per dimension: RMS pixel change when z moves by one standard deviation along it.
  void rank_influence(std::shared_ptr<const latent::Space> space, latent::Latent z);
  TaskSlot<std::vector<float>> influence_task;
  // Faces and words: open the space for a model, a description -> a point, a photo -> descriptions.
  void open_face_text(const std::string& path, latent::SpaceInfo model, bool named);
  void describe_face(std::shared_ptr<const latent::FaceText> vse, std::shared_ptr<const latent::Space> space,
                     std::string text);
  void nearest_descriptions(std::shared_ptr<const latent::FaceText> vse, std::string path);
  TaskSlot<FaceTextOpened> face_text_task;
  TaskSlot<DescribeDone> describe_task;
  TaskSlot<NearestDone> nearest_task;
  std::shared_ptr<MapSnapshot> map_snapshot = std::make_shared<MapSnapshot>();
};

}  // namespace studio
