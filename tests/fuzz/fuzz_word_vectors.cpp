// Word vectors in one format, chosen when the target is built (LATENT_FUZZ_FORMAT:
// 0 word2vec binary, 1 word2vec text, 2 GloVe, 3 fastText .vec by sniffing, 4 native .lsv).
#include "fuzz_util.h"
#include "latent/word_vectors.h"

#ifndef LATENT_FUZZ_FORMAT
#error "LATENT_FUZZ_FORMAT must be set"
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using latent::VectorFormat;
  static const VectorFormat formats[] = {VectorFormat::Word2VecBinary, VectorFormat::Word2VecText,
                                         VectorFormat::GloveText, VectorFormat::Auto, VectorFormat::Native};
  static const char* names[] = {"v.bin", "v.txt", "glove.txt", "wiki.vec", "v.lsv"};
  const std::string path = fuzz::write_file(names[LATENT_FUZZ_FORMAT], data, size);
  latent::WordVectorsOptions o;
  o.format = formats[LATENT_FUZZ_FORMAT];
  o.use_cache = false;
  o.write_cache = false;
  fuzz::expect_loads_or_refuses([&] {
    auto wv = latent::WordVectors::open(path, o);
    // What opened must answer a query.
    if (wv->size() > 0) wv->nearest(wv->vector(0), 3);
  });
  return 0;
}
