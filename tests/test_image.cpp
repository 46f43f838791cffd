#include "latent/image.h"

#include <fstream>

#include <gtest/gtest.h>
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include "latent/errors.h"
#include "latent/image_io.h"
#include "latent/latent_io.h"
#include "test_util.h"

using namespace latent;

TEST(ImageIo, PngRoundTripGrayAndRgb) {
  test_util::TempDir tmp;
  for (int c : {1, 3}) {
    Image img(7, 5, c);
    for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = float(i % 256) / 255.f;
    save_png(img, tmp / "a.png");
    const Image back = load_image(tmp / "a.png");
    ASSERT_EQ(back.width, 7);
    ASSERT_EQ(back.height, 5);
    ASSERT_EQ(back.channels, c);
    for (size_t i = 0; i < img.pixels.size(); ++i) EXPECT_NEAR(back.pixels[i], img.pixels[i], 0.5f / 255.f);
  }
  EXPECT_FALSE(std::filesystem::exists(tmp / "a.png.tmp"));
}

TEST(ImageIo, NotAnImageNamesTheFile) {
  test_util::TempDir tmp;
  std::ofstream(tmp / "bad.png") << "this is not a png";
  try {
    load_image(tmp / "bad.png");
    FAIL() << "expected an error";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.png"), std::string::npos);
  }
  EXPECT_THROW(load_image(tmp / "missing.png"), IoError);
}

// Only PNG and JPEG reach stb_image: a BMP, a GIF or a TGA that stb could decode is
// refused by its first bytes, with the way out; a real JPEG still loads.
TEST(ImageIo, OnlyPngAndJpegReachTheDecoder) {
  test_util::TempDir tmp;
  // A valid 1x1 24-bit BMP, which Debian's stb_image would decode.
  const unsigned char bmp[] = {'B', 'M', 58, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,
                               1, 0, 24, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                               0, 0, 255, 0};
  {
    std::ofstream out(tmp / "one.bmp", std::ios::binary);
    out.write(reinterpret_cast<const char*>(bmp), sizeof bmp);
  }
  int w = 0, h = 0, c = 0;
  ASSERT_TRUE(stbi_info((tmp / "one.bmp").c_str(), &w, &h, &c)) << "stb itself reads this BMP";
  std::ofstream(tmp / "a.gif", std::ios::binary) << "GIF89a\x01\x00\x01\x00";
  for (const std::string name : {"one.bmp", "a.gif"}) {
    try {
      load_image(tmp / name);
      FAIL() << name << " reached the decoder";
    } catch (const FormatError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(name), std::string::npos) << what;
      EXPECT_NE(what.find("not a PNG or JPEG"), std::string::npos) << what;
    }
  }
  Image rgb(3, 2, 3, 0.5f);
  save_png(rgb, tmp / "a.png");
  EXPECT_EQ(load_image(tmp / "a.png").width, 3);
  // A JPEG written by stb: loads.
  std::vector<unsigned char> px(3 * 2 * 3, 128);
  ASSERT_TRUE(stbi_write_jpg((tmp / "a.jpg").c_str(), 3, 2, 3, px.data(), 90));
  EXPECT_EQ(load_image(tmp / "a.jpg").height, 2);
}

// A PNG header claiming 20000 x 20000 pixels (400 MB of gray; more than stb_image's own
// limit for RGB) is refused from the header, at once, without allocating it.
TEST(ImageIo, AnImageThatClaimsToBeHugeIsRefusedFromItsHeader) {
  test_util::TempDir tmp;
  const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',  // signature
                               0, 0, 0, 13, 'I', 'H', 'D', 'R',                 // IHDR, 13 bytes
                               0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20,              // 20000 x 20000
                               8, 0, 0, 0, 0,                                   // 8-bit gray
                               0, 0, 0, 0};                                     // CRC (not checked)
  const std::string path = tmp / "huge.png";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(png), sizeof png);
  }
  try {
    latent::load_image(path);
    FAIL() << "a 20000x20000 claim was accepted";
  } catch (const latent::FormatError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("huge.png"), std::string::npos) << what;
    EXPECT_NE(what.find("20000x20000"), std::string::npos) << what;
  }
}

TEST(ImageIo, PnmFilesNeverReachTheDecoder) {
  // stb returned a PNM whose pixels the file lacks with those pixels uninitialised: the
  // image fuzzer's 26-byte file made a 10111x11111 image (10 s under ASan). PNM is not
  // one of the two formats read, so it is refused from its first bytes.
  test_util::TempDir tmp;
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(tmp / name, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return tmp / name;
  };
  auto error_of = [](const std::string& path) -> std::string {
    try {
      latent::load_image(path);
    } catch (const latent::FormatError& e) {
      return e.what();
    }
    return "(loaded)";
  };
  for (const std::string& f : {write("fuzzed.pgm", std::string("P510111\v\v11111\v\v11\xf7") + "1111111"),
                               write("ok.pgm", "P5 # four by two\n4 2 255\n" + std::string(8, '\x80')),
                               write("ok.ppm", "P6\n2 2\n255\n" + std::string(12, 'x'))}) {
    const std::string e = error_of(f);
    EXPECT_NE(e.find("not a PNG or JPEG image"), std::string::npos) << e;
  }
}

TEST(ImageIo, AFileTooSmallForTheImageItClaimsIsRefused) {
  // A 33-byte PNG header that claims 16384x16384 (a side stb and load_image allow):
  // deflate cannot hold 268 MB of pixels in no data at all.
  test_util::TempDir tmp;
  const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                               0, 0, 0x40, 0, 0, 0, 0x40, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0};
  const std::string path = tmp / "claims.png";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(png), sizeof png);
  try {
    latent::load_image(path);
    FAIL() << "a 16384x16384 claim in 33 bytes was accepted";
  } catch (const latent::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("claims.png: the image says it is 16384x16384 pixels, more than a file of 33 bytes"),
              std::string::npos)
        << e.what();
  }
}

TEST(Image, ConvertChannelsAndSize) {
  Image rgb(4, 4, 3);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) rgb.at(x, y, 0) = 1.f;  // pure red
  const Image gray = convert_image(rgb, 4, 4, 1);
  EXPECT_NEAR(gray.at(2, 2, 0), 0.299f, 1e-6);
  const Image big = convert_image(gray, 8, 8, 3);
  EXPECT_EQ(big.width, 8);
  EXPECT_EQ(big.channels, 3);
  EXPECT_NEAR(big.at(5, 5, 1), 0.299f, 1e-3);
}

TEST(Image, GridAndUpscale) {
  Image a(2, 2, 1, 0.f), b(2, 2, 1, 1.f);
  const Image g = make_grid({a, b, a}, 2, 1, 0.5f);
  EXPECT_EQ(g.width, 2 * 2 + 3);
  EXPECT_EQ(g.height, 2 * 2 + 3);
  EXPECT_EQ(g.at(0, 0, 0), 0.5f);
  EXPECT_EQ(g.at(1, 1, 0), 0.f);
  EXPECT_EQ(g.at(4, 1, 0), 1.f);
  const Image u = upscale_nearest(b, 3);
  EXPECT_EQ(u.width, 6);
  EXPECT_EQ(u.at(5, 5, 0), 1.f);
  const Image n = normalize_for_display(Image(2, 1, 1, 0.f), true);
  EXPECT_EQ(n.at(0, 0, 0), 0.5f);
}

TEST(LatentIo, RoundTripAndErrors) {
  test_util::TempDir tmp;
  write_latent_json({1.5f, -2.f, 0.25f}, tmp / "z.json");
  EXPECT_EQ(read_latent_json(tmp / "z.json"), (Latent{1.5f, -2.f, 0.25f}));
  std::ofstream(tmp / "obj.json") << R"({"z": [1, 2]})";
  EXPECT_EQ(read_latent_json(tmp / "obj.json"), (Latent{1, 2}));
  std::ofstream(tmp / "bad.json") << "[1, 2,";
  EXPECT_THROW(read_latent_json(tmp / "bad.json"), FormatError);
  std::ofstream(tmp / "str.json") << R"([1, "x"])";
  EXPECT_THROW(read_latent_json(tmp / "str.json"), FormatError);
  // A finite double beyond a float's range came back as inf (found by the fuzzer).
  std::ofstream(tmp / "big.json") << "[1, 1e300]";
  try {
    read_latent_json(tmp / "big.json");
    FAIL() << "1e300 was read as a float";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("big.json: element 1 is not a finite float (found 1e+300)"), std::string::npos)
        << e.what();
  }
}
