#include "latent/model_package.h"

#include <ctime>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <type_traits>

#include "latent/errors.h"
#include "latent/json_file.h"

namespace fs = std::filesystem;

namespace latent {

std::string utc_timestamp() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string package_dir(const std::string& path) {
  fs::path p(path);
  if (fs::is_directory(p)) return p.string();
  if (p.filename() == "model.json") return p.parent_path().empty() ? "." : p.parent_path().string();
  if (!fs::exists(p)) throw IoError(path + ": no such file or folder");
  throw FormatError(path + ": not a model package (expected a folder with model.json, or model.json itself)");
}

nlohmann::json read_model_json(const std::string& dir) {
  const std::string file = (fs::path(dir) / "model.json").string();
  if (!fs::exists(file)) throw IoError(file + ": missing (a model package is a folder with model.json)");
  nlohmann::json j = read_json_file(file, "the model description");
  if (!j.is_object()) throw FormatError(file + ": expected a JSON object at the top level");
  return j;
}

namespace {
template <typename T>
struct IntegerList : std::false_type {};
template <typename I>
struct IntegerList<std::vector<I>> : std::bool_constant<std::is_integral_v<I>> {};

template <typename I>
bool whole_in_range(const nlohmann::json& v) {
  return v.is_number_integer() && v.get<double>() >= double(std::numeric_limits<I>::min()) &&
         v.get<double>() <= double(std::numeric_limits<I>::max());
}
}  // namespace

template <typename T>
T require_field(const nlohmann::json& j, const std::string& key, const std::string& file) {
  if (!j.is_object() || !j.contains(key)) throw FormatError(file + ": missing field \"" + key + "\"");
  if constexpr (IntegerList<T>::value) {
    // Lists of whole numbers too: [1e300] converted with undefined behaviour (found by
    // the model.json fuzzer on the fields the LibTorch packages read, e.g. "cutoffs").
    const auto& v = j.at(key);
    if (v.is_array())
      for (size_t i = 0; i < v.size(); ++i)
        if (!whole_in_range<typename T::value_type>(v[i]))
          throw FormatError(file + ": field \"" + key + "\" must be a list of whole numbers (element " +
                            std::to_string(i) + " is " + (v[i].is_number() ? v[i].dump() : json_type_words(v[i])) +
                            ")");
  }
  if constexpr (std::is_integral_v<T>) {
    // A fraction or 1e300 would convert with undefined behaviour: refuse it instead.
    const auto& v = j.at(key);
    if (!v.is_number_integer() || v.get<double>() < double(std::numeric_limits<T>::min()) ||
        v.get<double>() > double(std::numeric_limits<T>::max()))
      throw FormatError(file + ": field \"" + key + "\" must be a whole number (found " +
                        (v.is_number() ? v.dump() : json_type_words(v)) + ")");
  }
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw FormatError(file + ": field \"" + key + "\" has the wrong type (found " + json_type_words(j.at(key)) + ")");
  }
}

template int require_field<int>(const nlohmann::json&, const std::string&, const std::string&);
template long require_field<long>(const nlohmann::json&, const std::string&, const std::string&);
template double require_field<double>(const nlohmann::json&, const std::string&, const std::string&);
template std::string require_field<std::string>(const nlohmann::json&, const std::string&, const std::string&);
template std::vector<double> require_field<std::vector<double>>(const nlohmann::json&, const std::string&,
                                                                const std::string&);
template std::vector<float> require_field<std::vector<float>>(const nlohmann::json&, const std::string&,
                                                              const std::string&);
template std::vector<int64_t> require_field<std::vector<int64_t>>(const nlohmann::json&, const std::string&,
                                                                  const std::string&);
template nlohmann::json require_field<nlohmann::json>(const nlohmann::json&, const std::string&,
                                                      const std::string&);

ObservationShape read_observation(const nlohmann::json& header, const std::string& file) {
  const auto obs = require_field<nlohmann::json>(header, "observation", file);
  if (!obs.is_object()) throw FormatError(file + ": \"observation\" must be an object");
  ObservationShape s;
  s.width = require_field<int>(obs, "width", file);
  s.height = require_field<int>(obs, "height", file);
  s.channels = require_field<int>(obs, "channels", file);
  if (s.width <= 0 || s.height <= 0 || s.width > 16384 || s.height > 16384)
    throw FormatError(file + ": observation size " + std::to_string(s.width) + "x" + std::to_string(s.height) +
                      " is out of range");
  if (s.channels != 1 && s.channels != 3)
    throw FormatError(file + ": observation has " + std::to_string(s.channels) + " channels (expected 1 or 3)");
  if (obs.contains("range")) {
    const auto r = require_field<std::vector<double>>(obs, "range", file);
    if (r.size() != 2 || !(r[0] < r[1])) throw FormatError(file + ": \"range\" must be [min, max] with min < max");
    s.min_value = static_cast<float>(r[0]);
    s.max_value = static_cast<float>(r[1]);
  }
  return s;
}

nlohmann::json observation_json(const ObservationShape& shape, Modality modality) {
  return {{"modality", to_string(modality)},
          {"width", shape.width},
          {"height", shape.height},
          {"channels", shape.channels},
          {"range", {shape.min_value, shape.max_value}}};
}

namespace {
bool host_is_little_endian() {
  const uint32_t one = 1;
  unsigned char b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}
void swap_bytes(float* data, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    unsigned char b[4];
    std::memcpy(b, &data[i], 4);
    std::swap(b[0], b[3]);
    std::swap(b[1], b[2]);
    std::memcpy(&data[i], b, 4);
  }
}
}  // namespace

std::vector<float> read_f32_file(const std::string& path, size_t count, const std::string& what) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw IoError(path + ": missing (" + what + ")");
  const auto size = fs::file_size(path, ec);
  if (ec) throw IoError(path + ": cannot read its size (" + ec.message() + ")");
  const size_t expected = count * sizeof(float);
  if (size != expected)
    throw FormatError(path + ": expected " + std::to_string(expected) + " bytes (" + what + ", " +
                      std::to_string(count) + " float32), found " + std::to_string(size));
  std::vector<float> out(count);
  std::ifstream in(path, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(expected)))
    throw IoError(path + ": read failed after " + std::to_string(in.gcount()) + " bytes");
  if (!host_is_little_endian()) swap_bytes(out.data(), out.size());
  for (size_t i = 0; i < out.size(); ++i)
    if (!std::isfinite(out[i]))
      throw FormatError(path + ": value " + std::to_string(i) + " (byte offset " + std::to_string(i * 4) +
                        ") is not a finite number");
  return out;
}

void write_f32_file(const std::string& path, const float* data, size_t count) {
  std::vector<float> le(data, data + count);
  if (!host_is_little_endian()) swap_bytes(le.data(), le.size());
  write_file_atomic(path, std::string(reinterpret_cast<const char*>(le.data()), count * sizeof(float)));
}

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(path + ": cannot write (" + std::strerror(errno) + ")");
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw IoError(path + ": write failed (" + std::strerror(errno) + ")");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw IoError(path + ": cannot move the written file into place (" + why + ")");
  }
}

}  // namespace latent
