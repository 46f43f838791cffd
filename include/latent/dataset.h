#pragma once
// Image datasets: a folder of PNG/JPEG files, IDX files (MNIST family, optionally
// .gz), and raw uint8 arrays described by a JSON header.
#include <string>
#include <vector>

#include "latent/space.h"

namespace latent {

struct DatasetOptions {
  int width = 0;      // 0: the dataset's own size (a folder: the first image's)
  int height = 0;
  int channels = 0;   // 0: the dataset's own (1 or 3)
  long limit = 0;     // 0: all items, else the first `limit`
  ProgressFn progress;
};

struct ImageDataset {
  std::string source;
  std::string format;               // "folder", "idx", "raw"
  int width = 0, height = 0, channels = 0;
  RowMatrixXf data;                 // count x (h*w*c), values in [0,1]
  std::vector<std::string> names;   // file names for folders, "#i" otherwise

  long count() const { return static_cast<long>(data.rows()); }
  Image image(long i) const;
  ObservationShape shape() const { return {width, height, channels, 0.f, 1.f}; }
};

// Opens `path` by what it is: a folder of images (or a folder holding one raw-array
// JSON header), an IDX file (.gz allowed), or a raw-array JSON header.
ImageDataset load_image_dataset(const std::string& path, const DatasetOptions& options = {});

// Opens `path` converted to the observation shape `space` encodes.
ImageDataset load_dataset_for(const Space& space, const std::string& path, DatasetOptions options = {});

// Every item encoded by `space`, one row each (for PCA one matrix product). The
// progress callback may cancel.
RowMatrixXf encode_dataset(const Space& space, const ImageDataset& data, const ProgressFn& progress = {});

ImageDataset load_image_folder(const std::string& dir, const DatasetOptions& options = {});
ImageDataset load_idx(const std::string& path, const DatasetOptions& options = {});
ImageDataset load_raw_array(const std::string& json_path, const DatasetOptions& options = {});

}  // namespace latent
