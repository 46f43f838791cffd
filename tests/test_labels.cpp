#include "latent/labels.h"

#include <fstream>

#include <gtest/gtest.h>

#include "latent/errors.h"
#include "test_util.h"

using namespace latent;

TEST(LabelTable, QueriesByColumn) {
  test_util::TempDir tmp;
  std::ofstream(tmp / "l.csv") << "index,name,glasses,female,score\n0,Ann,1,1,0.5\n1,Bob,0,0,2\n2,\"Cy, Jr\",1,0,10\n3,Dee,0,1,-1\n";
  const auto t = LabelTable::read_csv(tmp / "l.csv");
  EXPECT_EQ(t.rows(), 4);
  EXPECT_EQ(t.cell(2, 1), "Cy, Jr");
  EXPECT_EQ(t.select("glasses=1"), (std::vector<long>{0, 2}));
  EXPECT_EQ(t.select("glasses=1 & female=0"), (std::vector<long>{2}));
  EXPECT_EQ(t.select("glasses=1 & female=0 | name=Dee"), (std::vector<long>{2, 3}));
  EXPECT_EQ(t.select("score>=2"), (std::vector<long>{1, 2}));
  EXPECT_EQ(t.select("score<1"), (std::vector<long>{0, 3}));
  EXPECT_EQ(t.select("score!=10"), (std::vector<long>{0, 1, 3}));
  EXPECT_EQ(t.select("name~^[AB]"), (std::vector<long>{0, 1}));
  EXPECT_EQ(t.select("score=10.0"), (std::vector<long>{2}));  // numeric comparison
}

TEST(LabelTable, ErrorsNameTheProblem) {
  test_util::TempDir tmp;
  std::ofstream(tmp / "l.csv") << "a,b\n1,2\n3\n";
  try {
    LabelTable::read_csv(tmp / "l.csv");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("line 3: 1 fields, the header has 2"), std::string::npos) << e.what();
  }
  std::ofstream(tmp / "m.csv") << "a,b\n1,2\n";
  const auto t = LabelTable::read_csv(tmp / "m.csv");
  try {
    t.select("c=1");
    FAIL();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("no column 'c' (columns: a, b)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(t.select("a"), UnsupportedError);
  EXPECT_THROW(t.select("a=1 &"), UnsupportedError);
  EXPECT_THROW(t.select("a~("), UnsupportedError);
}

TEST(LabelTable, RealOlivettiGlasses) {
  if (!test_util::has_data_dir()) GTEST_SKIP();
  const auto t = LabelTable::read_csv(std::string(LATENT_DATA_DIR) + "/faces/olivetti/labels.csv");
  EXPECT_EQ(t.rows(), 400);
  EXPECT_EQ(t.select("glasses=1").size(), 119u);
  EXPECT_EQ(t.select("female=1").size(), 40u);
}
