#include "latent/model_sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>

#include "latent/errors.h"
#include "latent/json_file.h"
#include "latent/model_package.h"
#include "latent/registry.h"
#include "latent/torch_module.h"

extern char** environ;

namespace fs = std::filesystem;

namespace latent {

namespace {

bool contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

bool is_executable(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of("\n\r ");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
}

// The end of what the child printed, for messages: at most `n` characters.
std::string tail(const std::string& text, size_t n) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t.size() <= n ? t : "..." + t.substr(t.size() - n);
}

std::string config_home() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return x;
  if (const char* h = std::getenv("HOME"); h && *h) return (fs::path(h) / ".config").string();
  return "/tmp";
}

std::string normal_folder(const std::string& folder) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(folder, ec), ec);
  if (ec) p = fs::absolute(folder).lexically_normal();
  std::string s = p.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

void print_line(const nlohmann::json& j) {
  const std::string s = j.dump() + "\n";
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

bool finite_image(const Image& im) {
  return std::all_of(im.pixels.begin(), im.pixels.end(), [](float v) { return std::isfinite(v); });
}

}  // namespace

namespace {

// A caption model (caption-model.json, or the folder that holds one): TorchScript too.
bool is_caption_model(const std::string& path) {
  std::error_code ec;
  return fs::path(path).filename() == "caption-model.json" ||
         (fs::is_directory(path, ec) && fs::exists(fs::path(path) / "caption-model.json", ec) &&
          !fs::exists(fs::path(path) / "model.json", ec));
}

}  // namespace

bool is_torchscript_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".pt" || ext == ".pth" || ext == ".ptl" || ext == ".torchscript") return true;
  // TorchScript is a zip archive; word-vector files never start so.
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

bool model_runs_code(const std::string& path) {
  std::error_code ec;
  if (is_caption_model(path) || is_torchscript_file(path)) return true;
  if (fs::is_regular_file(path, ec) && fs::path(path).filename() != "model.json") return false;  // word vectors
  nlohmann::json header;
  try {
    header = read_model_json(package_dir(path));
  } catch (const std::exception&) {
    return false;  // refused before any of its files reaches LibTorch
  }
  // PCA and word-vector packages are numbers only; every other kind reads .pt files
  // through LibTorch.
  const std::string kind = header.is_object() && header.contains("kind") && header["kind"].is_string()
                               ? header["kind"].get<std::string>()
                               : "";
  return kind != "pca" && kind != "word-vectors";
}

std::string model_package_key(const std::string& path) {
  std::string dir;
  try {
    dir = package_dir(path);
  } catch (const std::exception&) {
    dir = fs::path(path).filename() == "model.json" ? fs::path(path).parent_path().string() : path;
  }
  if (dir.empty()) dir = ".";
  return normal_folder(dir);
}

std::string model_place(const std::string& path) {
  return normal_folder(fs::path(model_package_key(path)).parent_path().string());
}

std::string find_latent_program() {
  if (const char* p = std::getenv("LATENT_PROGRAM"); p && *p) return p;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& c : {self.parent_path() / "latent", self.parent_path().parent_path() / "latent"})
      if (is_executable(c)) return c.string();
  }
  return "";
}

ModelCheckResult check_model_in_child(const std::string& path, const ModelCheckOptions& options) {
  ModelCheckResult r;
  std::string program = options.program.empty() ? find_latent_program() : options.program;
  if (program.empty()) program = "latent";  // searched on the PATH

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("could not start the model check: pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so that whatever it starts is stopped with it.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, defaults;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGALRM, SIGTERM, SIGINT, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setsigdefault(&attr, &defaults);

  const std::string memory = std::to_string(options.memory_mb);
  std::vector<std::string> args = {program, "check-model", "--child", "--memory-mb", memory};
  if (!options.encoder_for.empty()) {
    args.push_back("--encoder-for");
    args.push_back(options.encoder_for);
  }
  args.push_back("--");
  args.push_back(path);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, program.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    r.outcome = "no-program";
    r.message = "could not start the model check '" + program + "' (" + std::strerror(rc) +
                "); the model was not opened. Reinstall Latent Studio, or set LATENT_PROGRAM to the latent program";
    return r;
  }

  // Read what it prints until it ends or the time is up.
  std::string output;
  bool timed_out = false;
  const auto deadline = t0 + std::chrono::duration<double>(options.timeout_seconds);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[4096];
    const ssize_t got = ::read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // the child closed its output: it has ended (or is ending)
    if (output.size() < (1u << 16)) output.append(buf, static_cast<size_t>(got));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(-pid, SIGKILL), ::kill(pid, SIGKILL);

  int status = 0;
  rusage ru{};
  for (;;) {
    // After its output closed, give it the rest of the time to exit.
    pid_t w = ::wait4(pid, &status, timed_out ? 0 : WNOHANG, &ru);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (w == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        timed_out = true;
        ::kill(-pid, SIGKILL), ::kill(pid, SIGKILL);
        continue;
      }
      ::usleep(2000);
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.peak_rss_mb = ru.ru_maxrss / 1024;

  char limit[64];
  std::snprintf(limit, sizeof limit, "%g s", options.timeout_seconds);
  const std::string said = tail(output, 400);
  if (timed_out) {
    r.outcome = "timeout";
    r.message = "the model did not finish loading and running within " + std::string(limit) +
                "; its check was stopped (a model file is a program, and this one may never end)";
  } else if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const bool memory_hint = contains(output, "bad_alloc") || contains(output, "allocate");
    r.outcome = memory_hint ? "memory" : "crashed";
    r.message = std::string("the model crashed the separate process that checked it (") + strsignal(sig) + ")" +
                (memory_hint ? ", running out of its " + memory + " MB memory limit" : "") +
                (said.empty() ? "" : ": " + said);
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    try {
      r.report = nlohmann::json::parse(last_line(output));
      r.ok = r.report.value("ok", false);
    } catch (const std::exception&) {
    }
    r.outcome = r.ok ? "ok" : "error";
    if (!r.ok) r.message = "the model check printed something unexpected: " + said;
  } else {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::string error;
    try {
      error = nlohmann::json::parse(last_line(output)).value("error", "");
    } catch (const std::exception&) {
    }
    r.outcome = code == 4 ? "memory" : "error";
    if (code == 4)
      r.message = "the model needed more than its " + memory + " MB memory limit" + (error.empty() ? "" : ": " + error);
    else if (!error.empty())
      r.message = error;
    else
      r.message = "the model check ended with exit code " + std::to_string(code) + (said.empty() ? "" : ": " + said);
  }
  return r;
}

int run_model_check_child(const std::string& path, size_t memory_mb, const std::string& encoder_for) {
  rlimit core{0, 0};
  ::setrlimit(RLIMIT_CORE, &core);
  if (memory_mb > 0) {
    const rlim_t bytes = static_cast<rlim_t>(memory_mb) << 20;
    rlimit as{bytes, bytes};
    ::setrlimit(RLIMIT_AS, &as);
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto ms_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
  };
  auto fail = [&](const std::string& error, int code) {
    print_line({{"ok", false}, {"error", error}});
    return code;
  };
  try {
    if (is_torchscript_file(path)) {
      // A bare TorchScript file, not a package (latent_torch): as a generator, what it
      // takes and gives; with `encoder_for`, whether it is that generator's encoder.
      const bool as_encoder = !encoder_for.empty();
      const nlohmann::json got =
          as_encoder ? probe_torchscript_encoder_json(path, encoder_for) : probe_torchscript_json(path);
      print_line({{"ok", true},
                  {"name", fs::path(path).stem().string()},
                  {"kind", as_encoder ? "torchscript-encoder-probe" : "torchscript-probe"},
                  {"dim", got.value("latent", 0)},
                  {"load_ms", ms_since(t0)},
                  {"forward", {as_encoder ? "encode" : "probe"}},
                  {"forward_ms", 0.0},
                  {as_encoder ? "encoder" : "probe", got}});
      return 0;
    }
    if (is_caption_model(path)) {
      // Opens it and runs one retrieval (in latent_torch, opened here).
      const nlohmann::json got = check_caption_model(path);
      print_line({{"ok", true},
                  {"name", got.value("name", std::string())},
                  {"kind", "caption-model"},
                  {"dim", 0},
                  {"load_ms", ms_since(t0) - got.value("forward_ms", 0.0)},
                  {"forward", {"retrieve(image)"}},
                  {"forward_ms", got.value("forward_ms", 0.0)}});
      return 0;
    }
    OpenOptions on_cpu;
    on_cpu.device = "cpu";  // the check runs where a memory cap means something
    std::unique_ptr<Space> space = open_space(path, on_cpu);
    const double load_ms = ms_since(t0);
    const SpaceInfo& info = space->info();
    const auto t1 = std::chrono::steady_clock::now();
    nlohmann::json forward = nlohmann::json::array();
    const Latent origin(static_cast<size_t>(info.dim), 0.f);
    if (info.modality == Modality::Image) {
      const Image a = space->decode(origin);
      if (!finite_image(a)) throw FormatError(path + ": decoding the origin gives NaN or Inf pixels");
      forward.push_back("decode(origin)");
      const std::vector<Latent> s = space->sample(1, 7);
      if (!s.empty()) {
        const Image b = space->decode(s[0]);
        if (!finite_image(b)) throw FormatError(path + ": decoding a prior sample gives NaN or Inf pixels");
        forward.push_back("decode(sample)");
      }
      if (info.can_encode) {
        const Latent z = space->encode(a);
        if (z.size() != static_cast<size_t>(info.dim))
          throw FormatError(path + ": the encoder gives " + std::to_string(z.size()) + " values, not " +
                            std::to_string(info.dim));
        forward.push_back("encode(image)");
      }
    } else if (info.modality == Modality::Text) {
      const Latent z = space->encode_text("A man is riding a horse along the beach.");
      (void)space->decode_text(z);
      forward.push_back("encode_text");
      forward.push_back("decode_text");
    }
    print_line({{"ok", true},
                {"name", info.name},
                {"kind", info.kind},
                {"dim", info.dim},
                {"load_ms", load_ms},
                {"forward", forward},
                {"forward_ms", ms_since(t1)}});
    return 0;
  } catch (const std::bad_alloc&) {
    return fail("out of memory (more than " + std::to_string(memory_mb) + " MB)", 4);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    const bool memory = contains(what, "can't allocate memory") || contains(what, "bad_alloc") ||
                        contains(what, "out of memory");
    return fail(what, memory ? 4 : 3);
  }
}

TrustedPlaces::TrustedPlaces(std::string file)
    : file_(file.empty() ? (fs::path(config_home()) / "latent-studio" / "trusted-places.json").string()
                         : std::move(file)) {
  std::error_code ec;
  if (!fs::exists(file_, ec)) return;
  try {
    const nlohmann::json j = read_json_file(file_, "the list of trusted model folders");
    if (j.is_object() && j.contains("places") && j["places"].is_array())
      for (const auto& p : j["places"])
        if (p.is_string()) places_.push_back(p.get<std::string>());
  } catch (const std::exception&) {
    // A damaged list trusts nothing: the person is asked again, and the next yes rewrites it.
  }
}

bool TrustedPlaces::trusted(const std::string& model_path) const {
  const std::string place = model_place(model_path);
  return std::find(places_.begin(), places_.end(), place) != places_.end() ||
         std::find(builtin_.begin(), builtin_.end(), place) != builtin_.end();
}

void TrustedPlaces::trust(const std::string& model_path) {
  const std::string place = model_place(model_path);
  if (std::find(places_.begin(), places_.end(), place) == places_.end()) places_.push_back(place);
  std::error_code ec;
  fs::create_directories(fs::path(file_).parent_path(), ec);
  try {
    write_file_atomic(file_, nlohmann::json{{"places", places_}}.dump(2) + "\n");
  } catch (...) {
    rethrow_with_context("remembering that " + place + " is trusted");
  }
}

void TrustedPlaces::add_builtin(const std::string& folder) { builtin_.push_back(normal_folder(folder)); }

}  // namespace latent
