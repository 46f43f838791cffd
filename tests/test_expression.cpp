#include "latent/expression.h"

#include <gtest/gtest.h>

#include "latent/algebra.h"
#include "latent/errors.h"
#include "latent/latent_io.h"
#include "latent/pca_space.h"
#include "test_util.h"

using namespace latent;

namespace {

// An environment without a model: points, groups and items only.
class TestEnv : public ExpressionEnv {
 public:
  bool point(const std::string& n, Latent& out) const override {
    if (n == "a") return out = {1, 0}, true;
    if (n == "b") return out = {0, 2}, true;
    if (n == "big") return out = {1, 2, 3}, true;
    return false;
  }
  bool group(const std::string& n, std::vector<Latent>& out) const override {
    if (n == "g") return out = {{1, 1}, {3, 5}}, true;
    if (n == "empty") return out = {}, true;
    return false;
  }
  Latent encode_file(const std::string& p) const override { throw IoError(p + ": no such file"); }
  std::vector<Latent> encode_glob(const std::string&) const override { return {}; }
  Latent item(long i) const override { return {float(i), -float(i)}; }
  std::vector<std::string> names() const override { return {"a", "b", "big", "g"}; }
};

Latent eval(const std::string& e) { return evaluate_expression(e, TestEnv(), 2); }

std::string error_of(const std::string& e) {
  try {
    eval(e);
  } catch (const Error& x) {
    return x.what();
  }
  return "(no error)";
}

}  // namespace

TEST(Expression, Arithmetic) {
  EXPECT_EQ(eval("@a + @b"), (Latent{1, 2}));
  EXPECT_EQ(eval("@a - @b + @a"), (Latent{2, -2}));
  EXPECT_EQ(eval("0.5*@a + 0.5*@b"), (Latent{0.5f, 1}));
  EXPECT_EQ(eval("@b / 2"), (Latent{0, 1}));
  EXPECT_EQ(eval("-(@a) * 2"), (Latent{-2, 0}));
  EXPECT_EQ(eval("2 * 3 * @a"), (Latent{6, 0}));
  EXPECT_EQ(eval("@g"), (Latent{2, 3}));  // a group by name is its mean
  EXPECT_EQ(eval("mean(@g) - @a"), (Latent{1, 3}));
  EXPECT_EQ(eval("lerp(@a, @b, 0.25)"), (Latent{0.75f, 0.5f}));
  EXPECT_EQ(eval("item(3)"), (Latent{3, -3}));
  const Latent s = eval("slerp(@a, @b, 0.5)");
  EXPECT_NEAR(s[0], s[1] / 1.f, 1e-5);  // on the diagonal: equal angles to both
  const Latent n = eval("norm(@a + @b, 10)");  // (1, 2) scaled to length 10
  EXPECT_NEAR(n[0], 10 / std::sqrt(5.f), 1e-4);
  EXPECT_NEAR(n[1], 20 / std::sqrt(5.f), 1e-4);
  EXPECT_NE(error_of("norm(@a - @a, 1)").find("zero point"), std::string::npos);
  EXPECT_NE(error_of("norm(2, @a)").find("a point and a length"), std::string::npos);
}

TEST(Expression, ErrorsPointAtTheToken) {
  EXPECT_NE(error_of("@a + @nobody").find("column 6 ('@nobody'): no point or group named 'nobody' (known: @a, @b, @big, @g)"),
            std::string::npos)
      << error_of("@a + @nobody");
  EXPECT_NE(error_of("@a + (@b").find("('end'): expected ')'"), std::string::npos);
  EXPECT_NE(error_of("@a * @b").find("cannot multiply two points"), std::string::npos);
  EXPECT_NE(error_of("@a + 1").find("cannot add a number and a point"), std::string::npos);
  EXPECT_NE(error_of("@big").find("has 3 values, the model has 2"), std::string::npos);
  EXPECT_NE(error_of("frob(@a)").find("unknown function 'frob'"), std::string::npos);
  EXPECT_NE(error_of("mean(@empty)").find("is empty"), std::string::npos);
  EXPECT_NE(error_of("enc(\"x.png\")").find("x.png: no such file"), std::string::npos);
  EXPECT_NE(error_of("3").find("is a number, not a point"), std::string::npos);
  EXPECT_NE(error_of("@a / 0").find("division by zero"), std::string::npos);
  EXPECT_NE(error_of("@a $").find("column 4: unexpected character '$'"), std::string::npos);
  EXPECT_NE(error_of("mean(\"*.none\")").find("no file matches"), std::string::npos);
}

TEST(Expression, SpaceEnvironmentEncodesFiles) {
  test_util::TempDir tmp;
  test_util::write_blob_folder(tmp / "faces", 12, 8, 8, 3);
  RowMatrixXf x(12, 64);
  std::vector<Image> imgs;
  for (int i = 0; i < 12; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/img_%03d.png", i);
    imgs.push_back(load_image(tmp / "faces" + name));
    for (int k = 0; k < 64; ++k) x(i, k) = imgs.back().pixels[k];
  }
  auto pca = PcaSpace::fit(x, {8, 8, 1, 0.f, 1.f}, PcaOptions{5, 0.0});
  SpaceExpressionEnv env(*pca);
  write_latent_json(Latent(5, 0.5f), tmp / "z.json");
  const Latent e = evaluate_expression("enc(\"" + (tmp / "faces/img_001.png") + "\")", env, 5);
  EXPECT_EQ(e, pca->encode(imgs[1]));
  const Latent m = evaluate_expression("mean(\"" + (tmp / "faces/img_00*.png") + "\")", env, 5);
  std::vector<Latent> first10;
  for (int i = 0; i < 10; ++i) first10.push_back(pca->encode(imgs[i]));
  const Latent expect = mean(first10);
  for (int k = 0; k < 5; ++k) EXPECT_NEAR(m[k], expect[k], 1e-5);
  EXPECT_EQ(evaluate_expression("z(\"" + (tmp / "z.json") + "\") * 2", env, 5), Latent(5, 1.f));
}

TEST(Expression, DeepNestingIsAnErrorNotAStackOverflow) {
  // 200 levels are fine; a pasted wall of brackets or minus signs is refused.
  EXPECT_EQ(eval(std::string(199, '(') + "@a" + std::string(199, ')')), eval("@a"));
  const std::string deep = std::string(100000, '(') + "@a" + std::string(100000, ')');
  EXPECT_NE(error_of(deep).find("nested deeper than 200 levels"), std::string::npos);
  EXPECT_NE(error_of(std::string(100000, '-') + "@a").find("nested deeper than 200 levels"), std::string::npos);
  EXPECT_NE(error_of("lerp(" + std::string(5000, '(')).find("nested deeper than 200 levels"), std::string::npos);
}

TEST(Expression, AnItemNumberBeyondAnyDatasetIsAnError) {
  // Converting 1e74 to long was undefined behaviour (found by the expression fuzzer).
  EXPECT_NE(error_of("item(111111111111111111111111111111111111111111111111111111111111111111111111111)")
                .find("item() takes a dataset index"),
            std::string::npos);
}
