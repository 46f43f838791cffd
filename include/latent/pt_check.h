#pragma once
// A .pt file (TorchScript or torch::save weights) is a zip archive. LibTorch trusts its
// records; a truncated or crafted one can make it read out of bounds or allocate what
// the file claims. This reads the zip records first and refuses a file whose declared
// sizes and offsets do not fit inside it.
#include <cstdint>
#include <string>

namespace latent {

struct PtArchiveSummary {
  uint64_t entries = 0;            // files in the archive
  uint64_t stored_bytes = 0;       // their data as stored (compressed or not)
  uint64_t uncompressed_bytes = 0; // their declared size once read
};

// Checks the archive in `bytes` (the whole file); FormatError names `file` and the record
// at fault.
PtArchiveSummary check_pt_archive_bytes(const std::string& bytes, const std::string& file);

// Reads `path` and checks it (IoError when it cannot be read).
PtArchiveSummary check_pt_archive(const std::string& path);

}  // namespace latent
