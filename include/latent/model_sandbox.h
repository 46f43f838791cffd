#pragma once
// Untrusted models: a TorchScript file is a program, and LibTorch does not promise that a
// broken or hostile one cannot crash or hang the process that loads it. So before the
// studio opens a package that LibTorch will read, a child process (`latent check-model
// --child`) loads it and runs its forward passes under a memory cap and a timeout; a
// crash, a hang or a runaway allocation ends only the child, and the person gets the
// reason in words. Only a package that passed is opened in the studio's own process.
//
// Consent: the first time a package that runs code is opened from a folder, the studio
// asks ("a model file is a program"); the folders a person trusted are remembered in
// TrustedPlaces.
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace latent {

// True when opening the package at `path` (a folder or its model.json) hands any of its
// files to LibTorch: TorchScript programs and pickled weights (.pt). PCA packages and
// word vectors are plain numbers and run nothing. A package whose model.json cannot be
// read counts as running code only if its folder holds a .pt file.
bool model_runs_code(const std::string& path);

// A bare TorchScript file (not a package): .pt, .pth, .ptl or .torchscript, or a zip
// archive, which is how TorchScript is saved. `check-model --child` probes such a file
// (what latent size it takes, what images it gives: the report's "probe").
bool is_torchscript_file(const std::string& path);

// The package folder a path names (the folder, or the folder of its model.json),
// absolute and normalised: one string per package.
std::string model_package_key(const std::string& path);

// The place a package comes from: the folder that holds the package folder (for
// `~/Downloads/vae/model.json`, `~/Downloads`), absolute and normalised.
std::string model_place(const std::string& path);

struct ModelCheckOptions {
  double timeout_seconds = 60;  // load + forward passes; the child is killed after this
  size_t memory_mb = 4096;      // address-space cap of the child (RLIMIT_AS)
  std::string program;          // the `latent` program; "" finds it (find_latent_program)
  // A bare TorchScript file checked as the encoder of a generator: "C,H,W,D,LO,HI" (its
  // images and latent size, the generator's range); "" probes it as a generator.
  std::string encoder_for;
};

struct ModelCheckResult {
  bool ok = false;
  // What happened, for a person: "" when ok; otherwise e.g. "the model crashed the
  // process that loaded it (segmentation fault)" or "did not finish within 60 s".
  std::string message;
  std::string outcome;      // ok | error | crashed | timeout | memory | no-program
  double seconds = 0;       // wall time of the child
  long peak_rss_mb = 0;     // the child's peak resident memory
  nlohmann::json report;    // what the child printed on success (kind, dims, forward ms)
};

// Runs the check in a child process and waits for it (at most the timeout, plus the
// time to kill it). Never throws for anything the model does; throws Error only when no
// child can be started at all.
ModelCheckResult check_model_in_child(const std::string& path, const ModelCheckOptions& options = {});

// The child's side, called by `latent check-model --child`: caps its own address space,
// opens the model on the CPU, runs its forward passes (decode of the origin and a prior
// sample, encode of the decoded image where there is an encoder; a sentence through a
// text model), prints one JSON line and returns the exit code (0 ok, 3 the model was
// refused with an Error, 4 out of memory).
int run_model_check_child(const std::string& path, size_t memory_mb, const std::string& encoder_for = "");

// The `latent` program: $LATENT_PROGRAM, else `latent` beside the running program, else
// in the build tree layout (../latent), else "" (then the PATH is searched).
std::string find_latent_program();

// Folders the person said yes to, kept in $XDG_CONFIG_HOME/latent-studio/trusted-places.json
// (~/.config when unset). The folder of the shipped models is trusted from the start.
class TrustedPlaces {
 public:
  // `file` "" means the default location above.
  explicit TrustedPlaces(std::string file = "");
  bool trusted(const std::string& model_path) const;
  // Remembers the place of `model_path`; written at once (an atomic save). Throws IoError
  // when the file cannot be written (the person is told; this load still goes ahead).
  void trust(const std::string& model_path);
  void add_builtin(const std::string& folder);  // trusted without being written down
  const std::vector<std::string>& places() const { return places_; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<std::string> places_;
  std::vector<std::string> builtin_;
};

}  // namespace latent
