// Every JSON file the project reads: malformed text, deep nesting, wrong types and
// missing keys become errors that name the file.
#include "latent/json_file.h"

#include <chrono>
#include <fstream>

#include <gtest/gtest.h>

#include "latent/dataset.h"
#include "latent/errors.h"
#include "latent/latent_io.h"
#include "latent/model_package.h"
#include "latent/pca_space.h"
#include "latent/registry.h"
#include "latent/session.h"
#include "test_util.h"

using namespace latent;

namespace {

std::string nested(int depth, const std::string& inner = "1") {
  return std::string(static_cast<size_t>(depth), '[') + inner + std::string(static_cast<size_t>(depth), ']');
}

using test_util::error_of;

}  // namespace

TEST(JsonFile, MalformedTextNamesFileLineAndColumn) {
  const std::string e = error_of([] { parse_json_text("{\n  \"a\": 1,\n  \"b\": ]\n}", "x.json"); });
  EXPECT_NE(e.find("x.json: malformed JSON at line 3, column 8"), std::string::npos) << e;
  EXPECT_NE(error_of([] { parse_json_text("", "empty.json"); }).find("empty.json: malformed JSON"),
            std::string::npos);
}

TEST(JsonFile, NestingIsCappedAt64Levels) {
  EXPECT_NO_THROW(parse_json_text(nested(kMaxJsonDepth), "ok.json"));
  const std::string e = error_of([] { parse_json_text(nested(kMaxJsonDepth + 1), "deep.json"); });
  EXPECT_NE(e.find("deep.json: JSON nested deeper than 64 levels at line 1, column 65"), std::string::npos) << e;
  // Brackets inside strings (escaped quotes too) are text, not nesting.
  const std::string text = "{\"a\": \"" + std::string(200, '[') + "\\\"" + std::string(200, '{') + "\"}";
  EXPECT_EQ(parse_json_text(text, "s.json")["a"].get<std::string>().size(), 401u);
}

TEST(JsonFile, AMillionLevelsFailFastWithoutRecursion) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string e = error_of([] { parse_json_text(nested(1000000), "bomb.json"); });
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(e.find("nested deeper than 64"), std::string::npos) << e;
  EXPECT_LT(s, 1.0);
}

TEST(JsonFile, MissingFileIsAnIoErrorNamingIt) {
  test_util::TempDir tmp;
  try {
    read_json_file(tmp / "nope.json", "the session");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("nope.json: cannot open the session"), std::string::npos) << e.what();
  }
}

TEST(JsonFile, EveryReaderCapsTheDepth) {
  test_util::TempDir tmp;
  const std::string deep = "{\"a\": " + nested(100) + "}";
  std::filesystem::create_directories(tmp / "m");
  std::ofstream(tmp / "m/model.json") << deep;
  std::ofstream(tmp / "s.json") << deep;
  std::ofstream(tmp / "h.json") << deep;
  std::ofstream(tmp / "z.json") << deep;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {error_of([&] { open_space(tmp / "m"); }), "model.json"},
      {error_of([&] { load_session(tmp / "s.json"); }), "s.json"},
      {error_of([&] { load_raw_array(tmp / "h.json"); }), "h.json"},
      {error_of([&] { read_latent_json(tmp / "z.json"); }), "z.json"},
  };
  for (const auto& [msg, file] : cases) {
    EXPECT_NE(msg.find(file + ": JSON nested deeper than 64 levels"), std::string::npos) << msg;
  }
}

TEST(JsonFile, SessionTypeErrorsAndMissingKeysSayWhere) {
  const auto load = [](const std::string& body) {
    return error_of([&] {
      session_from_json(parse_json_text(R"({"format": "latent-studio-session", "version": 1, )" + body + "}", "s.json"),
                        "s.json");
    });
  };
  std::string e = load(R"("bookmarks": [{"name": "a", "z": [1]}, {"name": "b"}])");
  EXPECT_NE(e.find("s.json: bookmark 2 has the wrong form (key 'z' not found)"), std::string::npos) << e;
  e = load(R"("groups": [{"name": "g", "members": [1, "two"]}])");
  EXPECT_NE(e.find("s.json: group 1: members must be item numbers (found a string)"), std::string::npos) << e;
  e = load(R"("groups": [{"name": "g", "members": [1e300]}])");
  EXPECT_NE(e.find("members must be item numbers (found a number)"), std::string::npos) << e;
  e = load(R"("attribute": {"a": 1e300})");
  EXPECT_NE(e.find("s.json: \"attribute\": \"a\" must be a whole number"), std::string::npos) << e;
  e = load(R"("z": "not a list")");
  EXPECT_NE(e.find("s.json: \"z\" has the wrong form"), std::string::npos) << e;
  e = error_of([] { session_from_json(parse_json_text(R"({"format": "latent-studio-session", "version": 1e300})", "v.json"), "v.json"); });
  EXPECT_NE(e.find("v.json: \"version\" must be a whole number"), std::string::npos) << e;
}

TEST(JsonFile, RawArrayHeaderTypeErrors) {
  test_util::TempDir tmp;
  std::ofstream(tmp / "a.json") << R"({"dtype": 8, "file": "a.bin", "count": 1, "width": 2, "height": 2})";
  std::string e = error_of([&] { load_raw_array(tmp / "a.json"); });
  EXPECT_NE(e.find("a.json: field \"dtype\" must be a string (found a number)"), std::string::npos) << e;
  std::ofstream(tmp / "b.json") << R"({"dtype": "uint8", "file": "b.bin", "count": 4294967296, "width": 2, "height": 2})";
  e = error_of([&] { load_raw_array(tmp / "b.json"); });
  EXPECT_NE(e.find("b.json: field \"count\" must be a whole number below 2^31"), std::string::npos) << e;
  std::ofstream(tmp / "c.json") << R"({"dtype": "uint8", "file": "c.bin", "count": 1, "width": 65536, "height": 65536})";
  e = error_of([&] { load_raw_array(tmp / "c.json"); });
  EXPECT_NE(e.find("c.json: implausible shape"), std::string::npos) << e;
  std::ofstream(tmp / "d.json") << R"([1, 2])";
  e = error_of([&] { load_raw_array(tmp / "d.json"); });
  EXPECT_NE(e.find("d.json: expected a JSON object"), std::string::npos) << e;
}

TEST(JsonFile, NumbersTooLargeForADoubleAreMalformed) {
  // nlohmann reports these as out_of_range, not parse_error (found by the session fuzzer).
  const std::string e = error_of([] { parse_json_text("{\"z\": [1e999]}", "big.json"); });
  EXPECT_NE(e.find("big.json: malformed JSON (number overflow"), std::string::npos) << e;
}

TEST(JsonFile, OnlyRegularFilesAreRead) {
  // z("/dev/zero") typed into the expression box would otherwise read forever.
  try {
    read_json_file("/dev/zero", "the latent file");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/zero: the latent file is not a regular file"), std::string::npos)
        << e.what();
  }
}

TEST(JsonFile, ListsOfWholeNumbersRefuseFractionsAndHugeNumbers) {
  // require_field<std::vector<int64_t>> (a text model's "cutoffs", a caption model's
  // "image_shape") converted 1e300 with undefined behaviour (found by the model.json
  // fuzzer, UBSan).
  const auto j = nlohmann::json::parse(R"({"a": [1, 2, 3], "b": [2, 1e300], "c": [1.5], "d": [1, "x"]})");
  EXPECT_EQ(require_field<std::vector<int64_t>>(j, "a", "m.json"), (std::vector<int64_t>{1, 2, 3}));
  auto error = [&](const char* key) -> std::string {
    try {
      require_field<std::vector<int64_t>>(j, key, "m.json");
    } catch (const FormatError& e) {
      return e.what();
    }
    return "(accepted)";
  };
  EXPECT_EQ(error("b"), "m.json: field \"b\" must be a list of whole numbers (element 1 is 1e+300)");
  EXPECT_EQ(error("c"), "m.json: field \"c\" must be a list of whole numbers (element 0 is 1.5)");
  EXPECT_NE(error("d").find("element 1 is a string"), std::string::npos) << error("d");
}

TEST(JsonFile, PcaPackageOptionalFieldsOfTheWrongTypeSayWhich) {
  // "n_samples" and "name" were read with json::value(), which throws nlohmann's
  // type_error for a value of another type (found by the model.json fuzzer).
  test_util::TempDir tmp;
  const float zeros[12] = {};
  std::ofstream(tmp / "mean.f32", std::ios::binary).write(reinterpret_cast<const char*>(zeros), 16);
  std::ofstream(tmp / "components.f32", std::ios::binary).write(reinterpret_cast<const char*>(zeros), 32);
  auto model = [&](const std::string& n_samples, const std::string& name) {
    std::ofstream(tmp / "model.json") << R"({"kind": "pca", "latent_dim": 2, )" << name
                                      << R"("observation": {"width": 2, "height": 2, "channels": 1},
        "files": {"mean": "mean.f32", "components": "components.f32"},
        "pca": {"total_variance": 4.0, "explained_variance": [2.0, 1.0])"
                                      << n_samples << "}}";
    try {
      PcaSpace::load(tmp.path.string(), read_model_json(tmp.path.string()));
    } catch (const FormatError& e) {
      return std::string(e.what());
    }
    return std::string("(opened)");
  };
  EXPECT_EQ(model(R"(, "n_samples": 10)", R"("name": "t", )"), "(opened)");
  EXPECT_EQ(model("", ""), "(opened)");
  std::string e = model(R"(, "n_samples": "ten")", "");
  EXPECT_NE(e.find("model.json: field \"n_samples\" must be a whole number (found a string)"), std::string::npos) << e;
  e = model("", R"("name": 5, )");
  EXPECT_NE(e.find("model.json: field \"name\" has the wrong type (found a number)"), std::string::npos) << e;
}
