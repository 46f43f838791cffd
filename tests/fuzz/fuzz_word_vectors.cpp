// Word vectors in one format, chosen when the target is built (LATENT_FUZZ_FORMAT:
// 0 word2vec binary, 1 word2vec text, 2 GloVe, 3 fastText .vec by sniffing, 4 native .lsv).
//
// Formats 0-3: what opens in full writes its .lsv cache (write_cache), which must open again,
// memory-mapped, to the same words and vectors (the cache writer and the cache-hit path
// of open()). Format 4: the input is the cache of a fixed small source file whose size
// and modification time are known, so a fuzzed cache can match them; open() of the
// source reads the cache as a native file, and falls back to the source when the cache
// is broken or stale.
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>

#include "fuzz_util.h"
#include "latent/word_vectors.h"

#ifndef LATENT_FUZZ_FORMAT
#error "LATENT_FUZZ_FORMAT must be set"
#endif

namespace {

// The source beside the fuzzed cache: 16 bytes, modified at 1,000,000,000 s exactly.
constexpr char kSource[] = "a 1 2 3\nb 4 5 6\n";

void same_or_abort(const latent::WordVectors& a, const latent::WordVectors& b) {
  if (a.size() != b.size() || a.dim() != b.dim()) std::abort();
  for (long i = 0; i < a.size(); ++i) {
    if (a.word(i) != b.word(i) || b.find(a.word(i)) != i) std::abort();
    const latent::Latent va = a.vector(i), vb = b.vector(i);
    if (std::memcmp(va.data(), vb.data(), va.size() * sizeof(float)) != 0) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using latent::VectorFormat;
  static const VectorFormat formats[] = {VectorFormat::Word2VecBinary, VectorFormat::Word2VecText,
                                         VectorFormat::GloveText, VectorFormat::Auto, VectorFormat::GloveText};
  const char* names[] = {"v.bin", "v.txt", "glove.txt", "wiki.vec", "src.txt"};
  latent::WordVectorsOptions o;
  o.format = formats[LATENT_FUZZ_FORMAT];
  // Options from the input's length, so that a byte more or less reaches them: every
  // third length keeps only the first 2 words (limit), every fourth stores half floats;
  // the fastText target names every fifth length wiki.bin instead of wiki.vec.
  o.limit = size % 3 == 1 ? 2 : 0;
  o.storage = size % 4 == 2 ? latent::Storage::Float16 : latent::Storage::Float32;
  if (LATENT_FUZZ_FORMAT == 3 && size % 5 == 3) names[3] = "wiki.bin";
  std::string path;
  if (LATENT_FUZZ_FORMAT == 4) {
    path = fuzz::write_file(names[4], reinterpret_cast<const uint8_t*>(kSource), sizeof kSource - 1);
    const struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
    if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) std::abort();
    fuzz::write_file("src.txt.lsv", data, size);
    o.use_cache = true;
    o.write_cache = false;
  } else {
    path = fuzz::write_file(names[LATENT_FUZZ_FORMAT], data, size);
    std::remove(latent::WordVectors::cache_path_for(path).c_str());
    o.use_cache = false;
    o.write_cache = true;
  }
  fuzz::expect_loads_or_refuses([&] {
    auto wv = latent::WordVectors::open(path, o);
    // What opened must answer a query.
    if (wv->size() > 0) wv->nearest(wv->vector(0), 3);
    bool cache_written = true;
    for (const auto& w : wv->warnings()) cache_written = cache_written && w.rfind("could not write the cache", 0) != 0;
    if (LATENT_FUZZ_FORMAT != 4 && o.limit == 0 && cache_written) {
      latent::WordVectorsOptions c = o;
      c.use_cache = true;
      c.write_cache = false;
      auto again = latent::WordVectors::open(path, c);
      if (!again->memory_mapped()) std::abort();  // the cache just written was not used
      same_or_abort(*wv, *again);
    }
  });
  return 0;
}
