#include "latent/word_vectors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <queue>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <chrono>

#include "blas.h"
#include "latent/errors.h"
#include "latent/hash.h"
#include "latent/model_package.h"

namespace fs = std::filesystem;

namespace latent {

// ------------------------------------------------------------------ small helpers

const char* to_string(VectorFormat f) {
  switch (f) {
    case VectorFormat::Auto: return "auto";
    case VectorFormat::Word2VecBinary: return "word2vec binary";
    case VectorFormat::Word2VecText: return "word2vec text";
    case VectorFormat::GloveText: return "GloVe text";
    case VectorFormat::Native: return "latent native (.lsv)";
  }
  return "unknown";
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  int32_t exp = static_cast<int32_t>((x >> 23) & 0xff) - 127 + 15;
  uint32_t mant = x & 0x7fffffu;
  if (((x >> 23) & 0xff) == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u : 0));
  if (exp >= 31) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow -> inf
  if (exp <= 0) {
    if (exp < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000u;
    const int shift = 14 - exp;
    uint32_t half = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = sign | (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1))) ++half;  // round to nearest even
  return static_cast<uint16_t>(half);
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, x;
  if (exp == 0) {
    if (mant == 0) {
      x = sign;
    } else {
      exp = 127 - 15 + 1;
      while (!(mant & 0x400u)) mant <<= 1, --exp;
      x = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    x = sign | 0x7f800000u | (mant << 13);
  } else {
    x = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

namespace {


bool valid_utf8(const char* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!len || i + len > n) return false;
    for (int k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += len;
  }
  return true;
}

// A word for an error message: valid UTF-8 is shown as it is, other bytes and control
// characters as \xNN; long words are cut (at a character boundary).
std::string printable(std::string_view w) {
  const bool utf8 = valid_utf8(w.data(), w.size());
  size_t n = std::min<size_t>(w.size(), 60);
  while (utf8 && n < w.size() && n > 0 && (static_cast<unsigned char>(w[n]) & 0xC0) == 0x80) --n;
  std::string out;
  for (unsigned char c : w.substr(0, n)) {
    if (c >= 32 && c != 127 && (c < 128 || utf8)) {
      out += static_cast<char>(c);
    } else {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    }
  }
  return n < w.size() ? out + "..." : out;
}

// Buffered reading with the byte offset kept, for messages that say where.
class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {
    f_ = std::fopen(path.c_str(), "rb");
    if (!f_) throw IoError(path + ": cannot open (" + std::strerror(errno) + ")");
    // 8 MiB, or less for a smaller file: a 200-byte file need not zero 8 MiB.
    std::error_code ec;
    const uintmax_t size = fs::file_size(path, ec);
    buf_.resize(ec ? size_t{8} << 20 : static_cast<size_t>(std::clamp<uintmax_t>(size + 1, 4096, uintmax_t{8} << 20)));
  }
  ~Reader() {
    if (f_) std::fclose(f_);
  }
  uint64_t offset() const { return base_ + pos_; }
  bool fill() {
    if (pos_ < len_) return true;
    base_ += len_;
    len_ = std::fread(buf_.data(), 1, buf_.size(), f_);
    pos_ = 0;
    return len_ > 0;
  }
  int get() { return fill() ? static_cast<unsigned char>(buf_[pos_++]) : -1; }
  int peek() { return fill() ? static_cast<unsigned char>(buf_[pos_]) : -1; }
  // Reads up to n bytes; returns how many were read.
  size_t read(char* out, size_t n) {
    size_t got = 0;
    while (got < n && fill()) {
      const size_t take = std::min(n - got, len_ - pos_);
      std::memcpy(out + got, buf_.data() + pos_, take);
      pos_ += take, got += take;
    }
    return got;
  }
  // Reads a line without its '\n' (and '\r'); false at end of file.
  bool line(std::string& out) {
    out.clear();
    if (!fill()) return false;
    for (;;) {
      const char* start = buf_.data() + pos_;
      const char* nl = static_cast<const char*>(std::memchr(start, '\n', len_ - pos_));
      if (nl) {
        out.append(start, nl - start);
        pos_ += (nl - start) + 1;
        break;
      }
      out.append(start, len_ - pos_);
      pos_ = len_;
      if (!fill()) break;
    }
    if (!out.empty() && out.back() == '\r') out.pop_back();
    return true;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  FILE* f_ = nullptr;
  std::vector<char> buf_;
  size_t pos_ = 0, len_ = 0;
  uint64_t base_ = 0;
};

// Native file layout (little-endian), sections 64-byte aligned.
constexpr char kMagic[8] = {'L', 'S', 'V', 'E', 'C', 'S', '1', 0};
struct NativeHeader {
  char magic[8];
  uint32_t version;
  uint32_t dtype;  // 0 float32, 1 float16
  uint64_t count;
  uint32_t dim;
  uint32_t reserved0;
  uint64_t units_offset;    // count x dim unit vectors
  uint64_t norms_offset;    // count float32
  uint64_t offsets_offset;  // count + 1 uint64 into the words blob
  uint64_t words_offset;    // UTF-8 words, concatenated
  uint64_t hash_offset;     // hash_size uint32: index + 1, 0 = empty
  uint64_t hash_size;
  uint64_t file_size;
  uint64_t source_size;     // the original file this cache was made from (0: none)
  int64_t source_mtime;
  uint32_t source_format;
  char reserved[36];
};
static_assert(sizeof(NativeHeader) == 144, "native header layout");

uint64_t align64(uint64_t x) { return (x + 63) & ~uint64_t(63); }

int64_t mtime_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
}

VectorFormat sniff(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open");
  char head[4096];
  in.read(head, sizeof head);
  const size_t n = static_cast<size_t>(in.gcount());
  if (n == 0) throw FormatError(path + ": the file is empty");
  if (n >= 8 && std::memcmp(head, kMagic, 8) == 0) return VectorFormat::Native;
  const char* nl = static_cast<const char*>(std::memchr(head, '\n', n));
  const std::string first(head, nl ? nl - head : n);
  long a = 0, b = 0;
  char extra = 0;
  const bool header = std::sscanf(first.c_str(), "%ld %ld %c", &a, &b, &extra) == 2;
  if (!header) return VectorFormat::GloveText;
  // After a "N D" header: text has only printable bytes and whitespace; binary has
  // raw floats (zero bytes and control characters).
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".bin") return VectorFormat::Word2VecBinary;
  for (size_t i = first.size() + 1; i < n; ++i) {
    const unsigned char c = head[i];
    if (c == 0 || (c < 32 && c != '\n' && c != '\r' && c != '\t')) return VectorFormat::Word2VecBinary;
  }
  return VectorFormat::Word2VecText;
}

bool parse_float(const char*& p, const char* end, float& out) {
  while (p < end && (*p == ' ' || *p == '\t')) ++p;
  if (p >= end) return false;
  auto r = std::from_chars(p, end, out);
  if (r.ec != std::errc()) return false;
  p = r.ptr;
  return true;
}

}  // namespace

// ------------------------------------------------------------------ loading

struct WordVectors::Loader {
  WordVectors& wv;
  const WordVectorsOptions& opt;
  // count x dim, as read. The binary reader normalises each row as it stores it and puts
  // the norms in wv.own_norms_ (finish_in_memory then skips that step); the text readers
  // store the values as they are.
  std::vector<float> raw;

  void progress(float f, const std::string& stage) {
    if (opt.progress && !opt.progress(f, stage)) throw Cancelled();
  }

  void add_word(std::string_view w) {
    wv.own_words_.append(w.data(), w.size());
    wv.own_offsets_.push_back(wv.own_words_.size());
  }

  // Sum of squares in double with independent partial sums (so that it vectorises;
  // the order differs from a plain loop only far below float precision). The same
  // operations in the same order in every clone, so every CPU gets the same bits.
  __attribute__((target_clones("avx512f", "avx2", "default")))
  static double sum_squares(const float* v, int n) {
    double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int k = 0;
    for (; k + 8 <= n; k += 8)
      for (int j = 0; j < 8; ++j) a[j] += double(v[k + j]) * v[k + j];
    double tail = 0;
    for (; k < n; ++k) tail += double(v[k]) * v[k];
    return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7])) + tail;
  }

  // v /= n, element by element (a true division, not a multiplication by 1/n).
  __attribute__((target_clones("avx512f", "avx2", "default")))
  static void divide(float* v, int dim, float n) {
    for (int k = 0; k < dim; ++k) v[k] /= n;
  }

  // Maps the pages of a large buffer about to be filled in one go (MADV_POPULATE_WRITE,
  // Linux 5.14+) rather than by a page fault per 4 KiB page while filling it: for a 3.6 GB
  // load on the benchmark VM, where first touches of memory are expensive, 2.2 s instead
  // of 3.0 s. (Transparent huge pages were slower there, 4-9 s; populating on a second
  // thread, ahead of the reader, gained nothing.) Only advice: older kernels refuse it
  // and the pages fault in as usual.
  static void prefault(const void* data, size_t bytes) {
    if (bytes < (64u << 20)) return;
    const uintptr_t page = 4096;
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + page - 1) & ~(page - 1);
    const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(page - 1);
    constexpr int kPopulateWrite = 23;  // MADV_POPULATE_WRITE, missing from older headers
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, kPopulateWrite);
  }

  void reserve(const std::string& path, long count, int dim, bool in_place = false) {
    // Never reserve more than the file can hold (a lying header must not allocate GBs).
    std::error_code ec;
    const uint64_t file = fs::file_size(path, ec);
    // Every word takes at least a byte, so no more words than bytes; the products below
    // then cannot overflow either (a header of 9223372036854775807 words did, found by
    // the word2vec fuzzers).
    const uint64_t words = std::min<uint64_t>(static_cast<uint64_t>(std::max(0L, count)), file);
    const uint64_t row = static_cast<uint64_t>(std::max(0, dim)) * sizeof(float);
    const uint64_t want = row && words > UINT64_MAX / row ? UINT64_MAX : words * row;
    if (in_place) {
      wv.own_row_at_.reserve(std::min<uint64_t>(words, file / std::max<uint64_t>(row, 1) + 1));
    } else {
      raw.reserve(std::min(want, file) / sizeof(float));
      if (want <= file) prefault(raw.data(), raw.capacity() * sizeof(float));  // not for a header that cannot be true
    }
    wv.own_offsets_.reserve(std::min<uint64_t>(words + 1, file / 2 + 1));
  }

  // Plain read(2) into a buffer small enough to stay in cache, refilled in large reads.
  // A read error ends the input, as end of file does (the caller reports truncation).
  struct Input {
    int fd = -1;
    std::vector<char> buf;
    size_t pos = 0, len = 0;
    uint64_t base = 0;  // file offset of buf[0]
    bool eof = false;
    const char* mem = nullptr;  // the whole file, mapped (then buf is unused)
    // Over a file already in memory: every need() is met from it.
    Input(const char* data, size_t size) : len(size), eof(true), mem(data) {}
    Input(const std::string& path, size_t buffer) {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw IoError(path + ": cannot open (" + std::strerror(errno) + ")");
      // A file smaller than the buffer fits whole in a buffer of its size (every need()
      // is then met from it): a 100-byte file need not zero 1 MiB.
      struct stat st {};
      const bool small = ::fstat(fd, &st) == 0 && st.st_size >= 0 && static_cast<uint64_t>(st.st_size) < buffer;
      buf.resize(small ? static_cast<size_t>(st.st_size) + 1 : buffer);
#ifdef POSIX_FADV_SEQUENTIAL
      ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    }
    ~Input() {
      if (fd >= 0) ::close(fd);
    }
    Input(const Input&) = delete;
    Input& operator=(const Input&) = delete;
    uint64_t offset() const { return base + pos; }
    const char* data() const { return mem ? mem : buf.data(); }
    const char* at() const { return data() + pos; }
    // Makes min(want, what is left of the file) bytes available at at() (want <= the
    // buffer size) and returns how many are available.
    size_t need(size_t want) {
      if (len - pos >= want || eof) return len - pos;
      std::memmove(buf.data(), buf.data() + pos, len - pos);
      base += pos, len -= pos, pos = 0;
      while (len < buf.size()) {
        const ssize_t got = ::read(fd, buf.data() + len, buf.size() - len);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
          eof = true;
          break;
        }
        len += static_cast<size_t>(got);
      }
      return len - pos;
    }
    // Skips the separators word2vec writes between a vector and the next word.
    void skip_separators() {
      while (need(1)) {
        const char c = data()[pos];
        if (c != '\n' && c != ' ' && c != '\r') return;
        ++pos;
      }
    }
  };

  void binary(const std::string& path) {
    Input in(path, 1 << 20);
    binary_from(path, in, false);
  }

  // The file mapped and read in place: rows stay where they are, only their offsets and
  // norms are kept. False (and nothing kept) where the ordinary read must do it: the file
  // cannot be mapped, or a row holds a value that is not finite (that read reports it).
  bool binary_in_place(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
      ::close(fd);
      return false;
    }
    const size_t size = static_cast<size_t>(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED) return false;
    ::madvise(map, size, MADV_SEQUENTIAL);
    wv.source_map_ = map;  // unmapped by ~WordVectors if reading throws
    wv.source_map_size_ = size;
    Input in(static_cast<const char*>(map), size);
    binary_from(path, in, true);
    if (wv.own_norms_.size() != wv.own_row_at_.size()) {
      ::munmap(map, size);
      wv.source_map_ = nullptr, wv.source_map_size_ = 0;
      wv.own_row_at_.clear(), wv.own_norms_.clear(), wv.own_offsets_.clear(), wv.own_words_.clear();
      return false;
    }
    ::madvise(map, size, MADV_RANDOM);  // queries and lookups from here on
    wv.raw_rows_ = static_cast<const char*>(map);
    return true;
  }

  void binary_from(const std::string& path, Input& in, bool in_place) {
    std::string header;
    bool any = false;
    for (size_t avail; (avail = in.need(1)) > 0;) {
      any = true;
      const char* nl = static_cast<const char*>(std::memchr(in.at(), '\n', avail));
      const size_t take = nl ? static_cast<size_t>(nl - in.at()) : avail;
      header.append(in.at(), take);
      in.pos += take + (nl ? 1 : 0);
      if (nl) break;
    }
    if (!any) throw FormatError(path + ": the file is empty");
    if (!header.empty() && header.back() == '\r') header.pop_back();
    long count = 0, dim = 0;
    char extra = 0;
    if (std::sscanf(header.c_str(), "%ld %ld %c", &count, &dim, &extra) != 2 || count <= 0 || dim <= 0 ||
        dim > 100000)
      throw FormatError(path + ": line 1: expected a header 'WORDS DIMENSIONS' (word2vec binary), found '" +
                        printable(header) + "'");
    wv.dim_ = static_cast<int>(dim);
    const long keep = opt.limit > 0 ? std::min(count, opt.limit) : count;
    reserve(path, keep, wv.dim_, in_place);
    wv.own_offsets_.assign(1, 0);
    std::error_code ec;
    const uint64_t file_bytes = fs::file_size(path, ec);
    const double file_size = static_cast<double>(file_bytes);
    const size_t vec_bytes = static_cast<size_t>(dim) * sizeof(float);
    wv.own_norms_.clear();
    wv.own_norms_.reserve(static_cast<size_t>(std::min<uint64_t>(keep, file_bytes / vec_bytes + 1)));
    // A record: up to 4096 bytes of word, a space, the vector. The buffer holds several,
    // or the whole file when that is smaller: the header's dimension must not size
    // anything beyond what the file can hold (a 20-byte file declaring 100,000
    // dimensions zeroed 1.6 MB here and 400 KB for `row`; the fastText fuzzer, which
    // reaches this reader by sniffing, spent most of its time doing that).
    constexpr size_t kMaxWord = 4096;
    const size_t record = kMaxWord + 1 + vec_bytes;
    const size_t want_buf = ec ? 4 * record : static_cast<size_t>(std::min<uint64_t>(4 * record, file_bytes + 1));
    if (!in.mem && in.buf.size() < want_buf) in.buf.resize(want_buf);
    std::vector<float> row;  // sized at the first vector the file really holds
    bool all_finite = true;
    for (long i = 0; i < keep; ++i) {
      in.skip_separators();
      const uint64_t word_at = in.offset();
      size_t avail = in.need(record);  // the whole record, unless the file ends first
      const char* p = in.at();
      const char* sp = static_cast<const char*>(std::memchr(p, ' ', std::min(avail, kMaxWord + 1)));
      if (!sp) {
        if (avail > kMaxWord)
          throw FormatError(path + ": byte offset " + std::to_string(word_at) + ": word #" + std::to_string(i + 1) +
                            " is longer than 4096 bytes (is this really word2vec binary?)");
        in.pos += avail;
        throw FormatError(path + ": truncated at byte offset " + std::to_string(in.offset()) + ": expected word #" +
                          std::to_string(i + 1) + " of " + std::to_string(count) + " (the header says " +
                          std::to_string(count) + " words)");
      }
      const std::string_view word(p, static_cast<size_t>(sp - p));
      in.pos += word.size() + 1;
      if (word.empty())
        throw FormatError(path + ": byte offset " + std::to_string(word_at) + ": empty word #" + std::to_string(i + 1));
      if (!valid_utf8(word.data(), word.size()))
        throw FormatError(path + ": byte offset " + std::to_string(word_at) + ": word #" + std::to_string(i + 1) +
                          " ('" + printable(word) + "') is not valid UTF-8");
      avail = in.len - in.pos;  // need(record) above already brought in all there is
      if (avail < vec_bytes) {
        in.pos += avail;
        throw FormatError(path + ": truncated at byte offset " + std::to_string(in.offset()) + ": word #" +
                          std::to_string(i + 1) + " ('" + printable(word) + "') needs " + std::to_string(vec_bytes) +
                          " bytes of vector, found " + std::to_string(avail));
      }
      // Normalised here, while the row is in cache (finish_in_memory would need a second
      // pass over the whole matrix). A row with a value that is not finite is kept as it
      // is; finish_in_memory then reports the first such row.
      if (row.empty()) row.resize(static_cast<size_t>(dim));
      std::memcpy(row.data(), in.at(), vec_bytes);
      if (in_place) wv.own_row_at_.push_back(in.offset());
      in.pos += vec_bytes;
      const double s = sum_squares(row.data(), wv.dim_);
      if (std::isfinite(s)) {
        const float n = static_cast<float>(std::sqrt(s));
        if (n > 0 && !in_place) divide(row.data(), wv.dim_, n);
        wv.own_norms_.push_back(n);
      } else {
        all_finite = false;
        if (in_place) break;  // the ordinary read reports it
      }
      if (!in_place) raw.insert(raw.end(), row.begin(), row.end());
      add_word(word);
      if ((i & 0xffff) == 0) progress(static_cast<float>(in.offset() / std::max(1.0, file_size)), "reading vectors");
    }
    if (!all_finite) {
      wv.own_norms_.clear();
      if (in_place) return;
    }
    if (keep == count) {
      in.skip_separators();
      if (in.need(1))
        throw FormatError(path + ": byte offset " + std::to_string(in.offset()) + ": more data after the " +
                          std::to_string(count) + " words the header announces (the header is wrong, or the file "
                          "is not word2vec binary)");
    }
  }

  void text(const std::string& path, bool has_header) {
    Reader r(path);
    std::string line;
    long count = -1;
    long line_no = 0;
    wv.own_offsets_.assign(1, 0);
    if (has_header) {
      if (!r.line(line)) throw FormatError(path + ": the file is empty");
      ++line_no;
      long d = 0;
      if (std::sscanf(line.c_str(), "%ld %ld", &count, &d) != 2 || count <= 0 || d <= 0 || d > 100000)
        throw FormatError(path + ": line 1: expected a header 'WORDS DIMENSIONS', found '" + printable(line) + "'");
      wv.dim_ = static_cast<int>(d);
      reserve(path, opt.limit > 0 ? std::min(count, opt.limit) : count, wv.dim_);
    }
    std::error_code ec;
    const double file_size = static_cast<double>(fs::file_size(path, ec));
    long words = 0;
    while ((opt.limit <= 0 || words < opt.limit) && r.line(line)) {
      ++line_no;
      if (line.empty()) continue;
      const char* p = line.data();
      const char* end = p + line.size();
      const char* sp = static_cast<const char*>(std::memchr(p, ' ', line.size()));
      if (!sp) throw FormatError(path + ": line " + std::to_string(line_no) + ": expected a word followed by numbers");
      const std::string_view word(p, sp - p);
      if (!valid_utf8(word.data(), word.size()))
        throw FormatError(path + ": line " + std::to_string(line_no) + ": the word '" + printable(word) +
                          "' is not valid UTF-8");
      p = sp + 1;
      if (wv.dim_ == 0) {
        // GloVe: the first line decides the dimension.
        int n = 0;
        const char* q = p;
        float v;
        while (parse_float(q, end, v)) ++n;
        if (n == 0) throw FormatError(path + ": line 1: no numbers after the word '" + printable(word) + "'");
        wv.dim_ = n;
      }
      const size_t at = raw.size();
      int n = 0;
      float v;
      // A value takes at least a character and a separator: a line too short for the
      // header's dimension is refused below without growing `raw` by that dimension.
      if (static_cast<size_t>(wv.dim_) <= (static_cast<size_t>(end - p) + 1) / 2) {
        raw.resize(at + wv.dim_);
        while (n < wv.dim_ && parse_float(p, end, v)) raw[at + n++] = v;
      }
      while (p < end && (*p == ' ' || *p == '\t')) ++p;
      if (n != wv.dim_ || p != end) {
        int total = n;
        while (parse_float(p, end, v)) ++total;
        const std::string what = p != end && total == n ? "a value that is not a number" : std::to_string(total) + " values";
        throw FormatError(path + ": line " + std::to_string(line_no) + ": expected " + std::to_string(wv.dim_) +
                          " values after '" + printable(word) + "', found " + what);
      }
      add_word(word);
      ++words;
      if ((words & 0x3fff) == 0) progress(static_cast<float>(r.offset() / std::max(1.0, file_size)), "reading vectors");
    }
    if (words == 0) throw FormatError(path + ": no vectors in the file");
    if (has_header && opt.limit <= 0 && words != count)
      throw FormatError(path + ": the header says " + std::to_string(count) + " words but the file has " +
                        std::to_string(words));
  }
};

void WordVectors::build_hash() {
  uint64_t size = 16;
  while (size < static_cast<uint64_t>(count_) * 2) size <<= 1;
  own_hash_.assign(size, 0);
  hash_ = own_hash_.data();
  hash_size_ = size;
  std::vector<long> duplicates;
  // Words in batches: hash a batch and prefetch its home slots, then insert it in order
  // (the table is the same as inserting one by one; a large table misses the cache on
  // almost every first probe, and this lets those misses overlap).
  constexpr long kBatch = 16;
  uint64_t home[kBatch];
  for (long b = 0; b < count_; b += kBatch) {
    const long e = std::min(count_, b + kBatch);
    for (long i = b; i < e; ++i) {
      home[i - b] = fnv1a(word(i)) & (size - 1);
      __builtin_prefetch(own_hash_.data() + home[i - b]);
    }
    for (long i = b; i < e; ++i) {
      const std::string_view w = word(i);
      uint64_t h = home[i - b];
      bool dup = false;
      while (own_hash_[h]) {
        if (word(own_hash_[h] - 1) == w) {
          dup = true;
          break;
        }
        h = (h + 1) & (size - 1);
      }
      if (dup) duplicates.push_back(i);
      else own_hash_[h] = static_cast<uint32_t>(i + 1);
    }
  }
  if (duplicates.empty()) return;
  // Keep the first of each duplicated word: drop the later rows and rebuild.
  const size_t shown = std::min<size_t>(duplicates.size(), 5);
  std::string list;
  for (size_t k = 0; k < shown; ++k) list += (k ? ", '" : "'") + printable(word(duplicates[k])) + "' (#" + std::to_string(duplicates[k] + 1) + ")";
  warnings_.push_back(std::to_string(duplicates.size()) + " duplicate word(s) skipped, the first kept: " + list +
                      (duplicates.size() > shown ? ", ..." : ""));
  std::vector<char> drop(count_, 0);
  for (long d : duplicates) drop[d] = 1;
  std::string words;
  std::vector<uint64_t> offsets{0};
  long out = 0;
  for (long i = 0; i < count_; ++i) {
    if (drop[i]) continue;
    words.append(word(i));
    offsets.push_back(words.size());
    if (out != i) {
      if (raw_rows_)
        own_row_at_[out] = own_row_at_[i];
      else if (storage_ == Storage::Float32)
        std::copy_n(own_units_f32_.begin() + i * dim_, dim_, own_units_f32_.begin() + out * dim_);
      else
        std::copy_n(own_units_f16_.begin() + i * dim_, dim_, own_units_f16_.begin() + out * dim_);
      own_norms_[out] = own_norms_[i];
    }
    ++out;
  }
  own_words_ = std::move(words);
  own_offsets_ = std::move(offsets);
  count_ = out;
  own_norms_.resize(out);
  if (raw_rows_) {
    own_row_at_.resize(out);
  } else {
    own_units_f32_.resize(storage_ == Storage::Float32 ? out * dim_ : 0);
    own_units_f16_.resize(storage_ == Storage::Float16 ? out * dim_ : 0);
    units_ = storage_ == Storage::Float32 ? static_cast<const void*>(own_units_f32_.data()) : own_units_f16_.data();
  }
  words_ = own_words_.data();
  offsets_ = own_offsets_.data();
  norms_ = own_norms_.data();
  build_hash();
}

void WordVectors::finish_in_memory(std::vector<float>&& raw) {
  count_ = static_cast<long>(own_offsets_.size()) - 1;
  // The binary reader hands over unit rows with their norms already; otherwise (text
  // formats, or a row that is not finite) normalise here.
  if (own_norms_.size() != static_cast<size_t>(count_)) {
    own_norms_.resize(count_);
    for (long i = 0; i < count_; ++i) {
      float* v = raw.data() + static_cast<size_t>(i) * dim_;
      const double s = Loader::sum_squares(v, dim_);
      if (!std::isfinite(s))  // some value is not finite (finite squares cannot overflow a double)
        throw FormatError("the vector of '" + printable(std::string_view(own_words_).substr(
                                                  own_offsets_[i], own_offsets_[i + 1] - own_offsets_[i])) +
                          "' (#" + std::to_string(i + 1) + ") has a value that is not a finite number");
      const float n = static_cast<float>(std::sqrt(s));
      own_norms_[i] = n;
      if (n > 0) Loader::divide(v, dim_, n);
    }
  }
  if (storage_ == Storage::Float16) {
    own_units_f16_.resize(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) own_units_f16_[i] = float_to_half(raw[i]);
    std::vector<float>().swap(raw);
    units_ = own_units_f16_.data();
  } else {
    own_units_f32_ = std::move(raw);
    units_ = own_units_f32_.data();
  }
  norms_ = own_norms_.data();
  offsets_ = own_offsets_.data();
  words_ = own_words_.data();
  build_hash();
}

void WordVectors::finish_mapped_source() {
  count_ = static_cast<long>(own_offsets_.size()) - 1;
  norms_ = own_norms_.data();
  offsets_ = own_offsets_.data();
  words_ = own_words_.data();
  units_ = nullptr;
  build_hash();
}

WordVectors::~WordVectors() {
  if (mapped_) ::munmap(mapped_, mapped_size_);
  if (source_map_) ::munmap(source_map_, source_map_size_);
}

std::string WordVectors::cache_path_for(const std::string& source) { return source + ".lsv"; }

std::unique_ptr<WordVectors> WordVectors::open(const std::string& path, const WordVectorsOptions& options) {
  try {
    if (!fs::exists(path)) throw IoError(path + ": no such file");
    if (fs::is_directory(path)) throw FormatError(path + ": is a folder, not a vectors file");
    VectorFormat format = options.format == VectorFormat::Auto ? sniff(path) : options.format;
    auto wv = std::unique_ptr<WordVectors>(new WordVectors());
    wv->storage_ = options.storage;
    const std::string cache = cache_path_for(path);

    if (format != VectorFormat::Native && options.use_cache && options.limit <= 0 && fs::exists(cache)) {
      // A cache is used only while it still matches its source.
      try {
        auto cached = open(cache, WordVectorsOptions{VectorFormat::Native, 0, options.storage, false, false, {}});
        std::ifstream in(cache, std::ios::binary);
        NativeHeader h{};
        in.read(reinterpret_cast<char*>(&h), sizeof h);
        std::error_code ec;
        if (h.source_size == fs::file_size(path, ec) && h.source_mtime == mtime_of(path)) {
          cached->source_format_ = static_cast<VectorFormat>(h.source_format);
          cached->info_.name = fs::path(path).filename().string();
          cached->info_.source = path;
          return cached;
        }
      } catch (const Error&) {
        // A broken or stale cache is ignored; the original is read instead.
      }
    }

    if (format == VectorFormat::Native) {
      const int fd = ::open(path.c_str(), O_RDONLY);
      if (fd < 0) throw IoError(path + ": cannot open (" + std::strerror(errno) + ")");
      struct stat st;
      ::fstat(fd, &st);
      const size_t size = static_cast<size_t>(st.st_size);
      if (size < sizeof(NativeHeader)) {
        ::close(fd);
        throw FormatError(path + ": truncated at byte offset " + std::to_string(size) + ": expected a " +
                          std::to_string(sizeof(NativeHeader)) + "-byte header");
      }
      void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
      ::close(fd);
      if (map == MAP_FAILED) throw IoError(path + ": cannot map the file (" + std::strerror(errno) + ")");
      wv->mapped_ = map;
      wv->mapped_size_ = size;
      NativeHeader h;
      std::memcpy(&h, map, sizeof h);
      if (std::memcmp(h.magic, kMagic, 8) != 0) throw FormatError(path + ": bad magic at byte offset 0: not a .lsv file");
      if (h.version != 1) throw FormatError(path + ": version " + std::to_string(h.version) + " is not supported (expected 1)");
      if (h.file_size != size)
        throw FormatError(path + ": the header says " + std::to_string(h.file_size) + " bytes, the file has " +
                          std::to_string(size) + " (truncated or appended to)");
      const uint64_t esize = h.dtype == 0 ? 4 : 2;
      auto within = [&](uint64_t off, uint64_t bytes, const char* what) {
        if (off > size || bytes > size - off || off % 8)
          throw FormatError(path + ": the " + std::string(what) + " section (byte offset " + std::to_string(off) +
                            ", " + std::to_string(bytes) + " bytes) lies outside the file");
      };
      // Caps keep the section sizes below from overflowing.
      if (h.dtype > 1 || h.dim == 0 || h.dim > (1u << 20) || h.count == 0 || h.count > (1ull << 31) ||
          (h.hash_size & (h.hash_size - 1)) || h.hash_size < h.count || h.hash_size > (1ull << 33))
        throw FormatError(path + ": implausible header (count " + std::to_string(h.count) + ", dim " +
                          std::to_string(h.dim) + ")");
      within(h.units_offset, h.count * h.dim * esize, "vectors");
      within(h.norms_offset, h.count * 4, "norms");
      within(h.offsets_offset, (h.count + 1) * 8, "word offsets");
      within(h.hash_offset, h.hash_size * 4, "hash table");
      const char* base = static_cast<const char*>(map);
      wv->offsets_ = reinterpret_cast<const uint64_t*>(base + h.offsets_offset);
      within(h.words_offset, wv->offsets_[h.count], "words");
      // Each word's offsets must rise from 0: a falling pair made a string of ~2^64 bytes
      // (found by the .lsv fuzzer).
      if (wv->offsets_[0] != 0) throw FormatError(path + ": the first word offset is not 0");
      for (uint64_t i = 0; i < h.count; ++i)
        if (wv->offsets_[i + 1] < wv->offsets_[i])
          throw FormatError(path + ": word offsets fall at word " + std::to_string(i + 1) + " (the file is damaged)");
      wv->count_ = static_cast<long>(h.count);
      wv->dim_ = static_cast<int>(h.dim);
      wv->storage_ = h.dtype == 0 ? Storage::Float32 : Storage::Float16;
      wv->units_ = base + h.units_offset;
      wv->norms_ = reinterpret_cast<const float*>(base + h.norms_offset);
      wv->words_ = base + h.words_offset;
      wv->hash_ = reinterpret_cast<const uint32_t*>(base + h.hash_offset);
      wv->hash_size_ = h.hash_size;
      wv->source_format_ = VectorFormat::Native;
    } else {
      Loader loader{*wv, options, {}};
      wv->source_format_ = format;
      if (format == VectorFormat::Word2VecBinary && options.storage == Storage::Float32 &&
          loader.binary_in_place(path)) {
        wv->finish_mapped_source();
      } else {
        if (format == VectorFormat::Word2VecBinary) loader.binary(path);
        else loader.text(path, format == VectorFormat::Word2VecText);
        wv->finish_in_memory(std::move(loader.raw));
      }
      if (options.write_cache && options.limit <= 0) {
        // save_native records the source's size and time from info_.source: unset here,
        // the cache said "no source" and open() never used it (found by the fuzzers'
        // cache round trip).
        wv->info_.source = path;
        try {
          wv->save_native(cache, wv->storage_);
        } catch (const Error& e) {
          wv->warnings_.push_back(std::string("could not write the cache: ") + e.what());
        }
      }
    }
    wv->info_.name = fs::path(path).filename().string();
    wv->info_.kind = "word-vectors";
    wv->info_.dim = wv->dim_;
    wv->info_.modality = Modality::Words;
    wv->info_.source = path;
    wv->info_.device = "cpu";
    return wv;
  } catch (const Cancelled&) {
    throw;
  } catch (const Error&) {
    throw;
  } catch (...) {
    rethrow_with_context("loading vectors " + path);
  }
}

void WordVectors::save_native(const std::string& path, Storage storage) const {
  NativeHeader h{};
  std::memcpy(h.magic, kMagic, 8);
  h.version = 1;
  h.dtype = storage == Storage::Float32 ? 0 : 1;
  h.count = count_;
  h.dim = dim_;
  const uint64_t esize = storage == Storage::Float32 ? 4 : 2;
  h.units_offset = align64(sizeof h);
  h.norms_offset = align64(h.units_offset + count_ * dim_ * esize);
  h.offsets_offset = align64(h.norms_offset + count_ * 4);
  h.hash_offset = align64(h.offsets_offset + (count_ + 1) * 8);
  h.hash_size = hash_size_;
  h.words_offset = align64(h.hash_offset + hash_size_ * 4);
  h.file_size = h.words_offset + offsets_[count_];
  const std::string& source = info_.source;
  std::error_code ec;
  if (!source.empty() && fs::exists(source) && source_format_ != VectorFormat::Native) {
    h.source_size = fs::file_size(source, ec);
    h.source_mtime = mtime_of(source);
    h.source_format = static_cast<uint32_t>(source_format_);
  }
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw IoError(path + ": cannot write (" + std::strerror(errno) + ")");
  // Large writes leave the file in the page cache in large pieces, which later map
  // (open -> first answer) several times faster than 4 KiB pieces.
  std::setvbuf(f, nullptr, _IOFBF, 8 << 20);
  bool ok = true;
  uint64_t at = 0;
  auto put = [&](const void* data, uint64_t bytes) {
    ok = ok && std::fwrite(data, 1, bytes, f) == bytes;
    at += bytes;
  };
  auto pad_to = [&](uint64_t off) {
    static const char zeros[64] = {};
    while (ok && at < off) put(zeros, std::min<uint64_t>(64, off - at));
  };
  put(&h, sizeof h);
  pad_to(h.units_offset);
  std::vector<float> row(dim_);
  std::vector<uint16_t> half(dim_);
  for (long i = 0; i < count_ && ok; ++i) {
    const float* r = row_f32(i);
    if (storage == Storage::Float32) {
      put(r, dim_ * 4ull);
    } else {
      for (int k = 0; k < dim_; ++k) half[k] = float_to_half(r[k]);
      put(half.data(), dim_ * 2ull);
    }
  }
  pad_to(h.norms_offset);
  put(norms_, count_ * 4ull);
  pad_to(h.offsets_offset);
  put(offsets_, (count_ + 1) * 8ull);
  pad_to(h.hash_offset);
  put(hash_, hash_size_ * 4);
  pad_to(h.words_offset);
  put(words_, offsets_[count_]);
  ok = ok && std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  const std::string why = std::strerror(errno);
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) {
    std::remove(tmp.c_str());
    throw IoError(path + ": writing failed (" + why + ")");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw IoError(path + ": cannot move the written file into place (" + std::string(std::strerror(errno)) + ")");
  }
}

// ------------------------------------------------------------------ access

std::string_view WordVectors::word(long i) const {
  return std::string_view(words_ + offsets_[i], offsets_[i + 1] - offsets_[i]);
}

long WordVectors::find(std::string_view w) const {
  if (!hash_size_) return -1;
  uint64_t h = fnv1a(w) & (hash_size_ - 1);
  for (uint64_t probes = 0; probes < hash_size_; ++probes) {
    const uint32_t slot = hash_[h];
    if (!slot) return -1;
    if (static_cast<long>(slot) <= count_ && word(slot - 1) == w) return slot - 1;
    h = (h + 1) & (hash_size_ - 1);
  }
  return -1;
}

long WordVectors::require(std::string_view w) const {
  const long i = find(w);
  if (i >= 0) return i;
  std::string lower(w);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string hint;
  if (lower != w && find(lower) >= 0) hint = " (did you mean '" + lower + "'?)";
  throw UnsupportedError("'" + std::string(w) + "' is not in the vocabulary of " + info_.name + hint);
}

const float* WordVectors::row_f32(long i) const {
  if (storage_ == Storage::Float32 && !raw_rows_) return static_cast<const float*>(units_) + static_cast<size_t>(i) * dim_;
  thread_local std::vector<float> buf;
  buf.resize(dim_);
  if (raw_rows_) {  // the row as written, divided by its norm as a load would have (the same bits)
    std::memcpy(buf.data(), raw_rows_ + own_row_at_[i], static_cast<size_t>(dim_) * sizeof(float));
    if (norms_[i] > 0) Loader::divide(buf.data(), dim_, norms_[i]);
    return buf.data();
  }
  const uint16_t* h = static_cast<const uint16_t*>(units_) + static_cast<size_t>(i) * dim_;
  for (int k = 0; k < dim_; ++k) buf[k] = half_to_float(h[k]);
  return buf.data();
}

Latent WordVectors::unit_vector(long i) const {
  const float* r = row_f32(i);
  return Latent(r, r + dim_);
}

Latent WordVectors::vector(long i) const {
  Latent v = unit_vector(i);
  for (float& x : v) x *= norms_[i];
  return v;
}

std::vector<float> WordVectors::scale() const {
  // Spread of the original vectors along each axis, over (up to) the first 100k words.
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  const long n = std::min<long>(count_, 100000);
  std::vector<double> sum(dim_, 0), sq(dim_, 0);
  for (long i = 0; i < n; ++i) {
    const float* r = row_f32(i);
    for (int k = 0; k < dim_; ++k) {
      const double v = double(r[k]) * norms_[i];
      sum[k] += v, sq[k] += v * v;
    }
  }
  std::vector<float> s(dim_);
  for (int k = 0; k < dim_; ++k)
    s[k] = static_cast<float>(std::sqrt(std::max(0.0, sq[k] / std::max(1L, n) - std::pow(sum[k] / std::max(1L, n), 2))));
  return s;
}

// ------------------------------------------------------------------ queries

namespace {

// (q . row) / n for a row as written in a word2vec binary (unaligned float32): the
// cosine with the unit query, up to rounding (a loaded matrix holds row / n instead).
__attribute__((target_clones("avx512f", "avx2", "default")))
float dot_over_norm(const char* row, const float* q, int dim, float n) {
  float acc[16] = {};
  int k = 0;
  for (; k + 16 <= dim; k += 16) {
    float v[16];
    std::memcpy(v, row + static_cast<size_t>(k) * sizeof(float), sizeof v);
    for (int j = 0; j < 16; ++j) acc[j] += v[j] * q[k + j];
  }
  float tail = 0;
  for (; k < dim; ++k) {
    float v;
    std::memcpy(&v, row + static_cast<size_t>(k) * sizeof(float), sizeof v);
    tail += v * q[k];
  }
  float s = 0;
  for (float a : acc) s += a;
  return n > 0 ? (s + tail) / n : 0.f;
}

}  // namespace

void WordVectors::cosines(const float* q, float* out, long limit) const {
  const long n = limit > 0 ? std::min(limit, count_) : count_;
  if (raw_rows_) {
    auto part = [&](long from, long to) {
      for (long i = from; i < to; ++i) out[i] = dot_over_norm(raw_rows_ + own_row_at_[i], q, dim_, norms_[i]);
    };
    if (n < 65536) {
      part(0, n);
    } else {  // memory-bound: the second core reads the second half
      std::thread other(part, n / 2, n);
      part(0, n / 2);
      other.join();
    }
    return;
  }
  if (storage_ == Storage::Float32) {
    constexpr long kBlock = 1 << 20;  // rows per BLAS call (int-sized)
    for (long b = 0; b < n; b += kBlock)
      blas::gemv_rows(static_cast<const float*>(units_) + static_cast<size_t>(b) * dim_,
                      static_cast<int>(std::min(kBlock, n - b)), dim_, q, out + b);
    return;
  }
  constexpr long kBlock = 2048;
  std::vector<float> buf(static_cast<size_t>(kBlock) * dim_);
  const uint16_t* h = static_cast<const uint16_t*>(units_);
  for (long b = 0; b < n; b += kBlock) {
    const long rows = std::min(kBlock, n - b);
    for (size_t i = 0; i < static_cast<size_t>(rows) * dim_; ++i) buf[i] = half_to_float(h[b * dim_ + i]);
    blas::gemv_rows(buf.data(), static_cast<int>(rows), dim_, q, out + b);
  }
}

namespace {

// Indices of the k largest scores, best first, skipping `exclude`.
std::vector<long> top_k(const float* scores, long n, int k, const std::vector<long>& exclude) {
  using Entry = std::pair<float, long>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;  // min-heap
  const size_t want = static_cast<size_t>(std::max(0, k));
  for (long i = 0; i < n; ++i) {
    const float s = scores[i];
    if (heap.size() == want && !(s > heap.top().first)) continue;
    if (std::find(exclude.begin(), exclude.end(), i) != exclude.end()) continue;
    heap.emplace(s, i);
    if (heap.size() > want) heap.pop();
  }
  std::vector<long> out(heap.size());
  for (size_t j = out.size(); j-- > 0;) out[j] = heap.top().second, heap.pop();
  return out;
}

Latent normalized(Latent v) {
  double s = 0;
  for (float x : v) s += double(x) * x;
  const float n = static_cast<float>(std::sqrt(s));
  if (n > 0)
    for (float& x : v) x /= n;
  return v;
}

}  // namespace

std::vector<RankedWord> WordVectors::nearest(const Latent& q, int k, const std::vector<long>& exclude,
                                             long restrict_vocab) const {
  if (static_cast<int>(q.size()) != dim_)
    throw UnsupportedError("query has " + std::to_string(q.size()) + " values, the vectors have " + std::to_string(dim_));
  const Latent unit = normalized(q);
  const long n = restrict_vocab > 0 ? std::min(restrict_vocab, count_) : count_;
  std::vector<float> scores(n);
  cosines(unit.data(), scores.data(), n);
  std::vector<RankedWord> out;
  for (long i : top_k(scores.data(), n, k, exclude)) out.push_back({i, std::string(word(i)), scores[i]});
  return out;
}

float WordVectors::similarity(std::string_view a, std::string_view b) const {
  const Latent ua = unit_vector(require(a)), ub = unit_vector(require(b));
  double d = 0;
  for (int k = 0; k < dim_; ++k) d += double(ua[k]) * ub[k];
  return static_cast<float>(d);
}

QueryResult WordVectors::neighbors(std::string_view w, int k, bool keep_inputs) const {
  QueryResult r = query({{std::string(w), 1.f}}, k, keep_inputs);
  r.method = "cosine, exact";
  return r;
}

Latent WordVectors::combine(const std::vector<WordTerm>& terms) const {
  if (terms.empty()) throw UnsupportedError("the expression has no words");
  Latent sum(dim_, 0.f);
  for (const auto& t : terms) {
    const float* r = row_f32(require(t.word));
    for (int k = 0; k < dim_; ++k) sum[k] += t.weight * r[k];
  }
  return sum;
}

QueryResult WordVectors::query(const std::vector<WordTerm>& terms, int k, bool keep_inputs, AnalogyMethod method) const {
  if (terms.empty()) throw UnsupportedError("the expression has no words");
  if (k <= 0) throw UnsupportedError("ask for at least one answer (k >= 1)");
  std::vector<long> inputs;
  for (const auto& t : terms) inputs.push_back(require(t.word));
  QueryResult r;
  r.inputs_excluded = !keep_inputs;
  const std::vector<long> exclude = keep_inputs ? std::vector<long>{} : inputs;
  if (method == AnalogyMethod::CosAdd) {
    r.method = "3CosAdd, exact";
    r.words = nearest(combine(terms), k, exclude);
    return r;
  }
  // 3CosMul (Levy & Goldberg 2014): cosines shifted to [0,1], multiplied for positive
  // terms and divided for negative ones.
  r.method = "3CosMul, exact";
  std::vector<double> score(count_, 1.0), denom(count_, 1.0);
  std::vector<float> cos(count_);
  for (size_t t = 0; t < terms.size(); ++t) {
    const Latent u = unit_vector(inputs[t]);
    cosines(u.data(), cos.data());
    const double w = std::fabs(terms[t].weight);
    for (long i = 0; i < count_; ++i) {
      const double s = std::pow((1.0 + cos[i]) / 2.0, w);
      if (terms[t].weight >= 0) score[i] *= s;
      else denom[i] *= s;
    }
  }
  const bool any_negative = std::any_of(terms.begin(), terms.end(), [](const WordTerm& t) { return t.weight < 0; });
  std::vector<float> final_score(count_);
  for (long i = 0; i < count_; ++i)
    final_score[i] = static_cast<float>(score[i] / (any_negative ? denom[i] + 1e-6 : 1.0));
  for (long i : top_k(final_score.data(), count_, k, exclude))
    r.words.push_back({i, std::string(word(i)), final_score[i]});
  return r;
}

QueryResult WordVectors::analogy(std::string_view a, std::string_view b, std::string_view c, int k, bool keep_inputs,
                                 AnalogyMethod method) const {
  return query({{std::string(b), 1.f}, {std::string(a), -1.f}, {std::string(c), 1.f}}, k, keep_inputs, method);
}

std::string WordVectors::doesnt_match(const std::vector<std::string>& words) const {
  if (words.size() < 2) throw UnsupportedError("give at least two words");
  std::vector<WordTerm> terms;
  for (const auto& w : words) terms.push_back({w, 1.f});
  const Latent mean = normalized(combine(terms));
  std::string worst;
  float worst_score = 2.f;
  for (const auto& w : words) {
    const Latent u = unit_vector(require(w));
    double d = 0;
    for (int k = 0; k < dim_; ++k) d += double(u[k]) * mean[k];
    if (d < worst_score) worst_score = static_cast<float>(d), worst = w;
  }
  return worst;
}

// ------------------------------------------------------------------ expressions

std::vector<WordTerm> parse_word_expression(const std::string& expr) {
  std::vector<WordTerm> terms;
  std::vector<std::pair<std::string, size_t>> tokens;  // token and its column (1-based)
  for (size_t i = 0; i < expr.size();) {
    if (std::isspace(static_cast<unsigned char>(expr[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < expr.size() && !std::isspace(static_cast<unsigned char>(expr[j]))) ++j;
    tokens.emplace_back(expr.substr(i, j - i), i + 1);
    i = j;
  }
  if (tokens.empty()) throw UnsupportedError("the expression is empty");
  float sign = 1.f;
  bool expect_term = true;
  for (auto [tok, col] : tokens) {
    auto fail = [&, col = col, tok = tok](const std::string& why) {
      throw UnsupportedError("in '" + expr + "' at column " + std::to_string(col) + " ('" + tok + "'): " + why);
    };
    if (tok == "+" || tok == "-") {
      if (!expect_term) sign = tok == "-" ? -1.f : 1.f, expect_term = true;
      else if (terms.empty() && tok == "-") sign = -sign;
      else fail("expected a word after an operator");
      continue;
    }
    // Leading operator glued to the word: "-man", "+woman".
    if ((tok[0] == '+' || tok[0] == '-') && tok.size() > 1) {
      if (!expect_term) sign = tok[0] == '-' ? -1.f : 1.f;
      else if (tok[0] == '-') sign = -sign;
      tok = tok.substr(1);
      col += 1;
    } else if (!expect_term) {
      fail("expected + or - between words");
    }
    float weight = 1.f;
    const size_t star = tok.find('*');
    if (star != std::string::npos) {
      const std::string num = tok.substr(0, star);
      float v = 0;
      auto r = std::from_chars(num.data(), num.data() + num.size(), v);
      if (num.empty() || r.ec != std::errc() || r.ptr != num.data() + num.size() || !std::isfinite(v))
        fail("'" + num + "' is not a number (write weights as 0.5*word)");
      weight = v;
      tok = tok.substr(star + 1);
      if (tok.empty()) fail("a weight needs a word after '*'");
    }
    terms.push_back({tok, sign * weight});
    sign = 1.f;
    expect_term = false;
  }
  if (expect_term) throw UnsupportedError("in '" + expr + "': the expression ends with an operator");
  return terms;
}

// ------------------------------------------------------------------ analogy evaluation

namespace {
std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

AnalogyReport evaluate_analogies(const WordVectors& wv, const std::string& questions_path, long restrict_vocab,
                                 const ProgressFn& progress) {
  std::ifstream in(questions_path);
  if (!in) throw IoError(questions_path + ": cannot open");
  const auto t0 = std::chrono::steady_clock::now();
  const long n = restrict_vocab > 0 ? std::min(restrict_vocab, wv.size()) : wv.size();
  // Upper-cased vocabulary; the most frequent spelling wins (as gensim does).
  std::unordered_map<std::string, long> ok_vocab;
  ok_vocab.reserve(n * 2);
  for (long i = n - 1; i >= 0; --i) ok_vocab[upper(wv.word(i))] = i;

  struct Question {
    long a, b, c;
    std::string ua, ub, uc, expected;
    size_t section;
  };
  AnalogyReport report;
  std::vector<Question> questions;
  std::string line;
  long line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line[0] == ':') {
      std::string name = line.substr(1);
      name.erase(0, name.find_first_not_of(' '));
      report.sections.push_back({name});
      continue;
    }
    if (report.sections.empty())
      throw FormatError(questions_path + ": line " + std::to_string(line_no) + ": a question before the first ': section' line");
    std::istringstream ss(line);
    std::string w[4], extra;
    if (!(ss >> w[0] >> w[1] >> w[2] >> w[3]) || (ss >> extra))
      throw FormatError(questions_path + ": line " + std::to_string(line_no) + ": expected 4 words, found '" + line + "'");
    Question q;
    q.ua = upper(w[0]), q.ub = upper(w[1]), q.uc = upper(w[2]), q.expected = upper(w[3]);
    auto ia = ok_vocab.find(q.ua), ib = ok_vocab.find(q.ub), ic = ok_vocab.find(q.uc), id = ok_vocab.find(q.expected);
    if (ia == ok_vocab.end() || ib == ok_vocab.end() || ic == ok_vocab.end() || id == ok_vocab.end()) {
      ++report.sections.back().skipped;
      continue;
    }
    q.a = ia->second, q.b = ib->second, q.c = ic->second;
    q.section = report.sections.size() - 1;
    questions.push_back(std::move(q));
  }

  const int dim = wv.dim();
  constexpr int kBatch = 128;  // questions per GEMM (scores: kBatch x vocabulary floats)
  std::vector<float> qs(static_cast<size_t>(kBatch) * dim), scores;
  // The restricted vocabulary's unit vectors as one float block for BLAS.
  std::vector<float> units_f32(static_cast<size_t>(n) * dim);
  for (long i = 0; i < n; ++i) {
    const Latent u = wv.unit_vector(i);
    std::copy(u.begin(), u.end(), units_f32.begin() + static_cast<size_t>(i) * dim);
  }
  const float* units = units_f32.data();
  scores.resize(static_cast<size_t>(kBatch) * n);
  for (size_t start = 0; start < questions.size(); start += kBatch) {
    const int b = static_cast<int>(std::min<size_t>(kBatch, questions.size() - start));
    for (int j = 0; j < b; ++j) {
      const Question& q = questions[start + j];
      float* row = qs.data() + static_cast<size_t>(j) * dim;
      const float *ua = units + q.a * dim, *ub = units + q.b * dim, *uc = units + q.c * dim;
      for (int k = 0; k < dim; ++k) row[k] = ub[k] + uc[k] - ua[k];
    }
    blas::gemm_scores(qs.data(), b, units, static_cast<int>(n), dim, scores.data());
    for (int j = 0; j < b; ++j) {
      const Question& q = questions[start + j];
      const std::vector<long> inputs{q.a, q.b, q.c};
      // gensim: the 5 best (inputs excluded), then the first whose upper-case form is not
      // an input word (case variants of the inputs are skipped too).
      const auto best = top_k(scores.data() + static_cast<size_t>(j) * n, n, 5, inputs);
      std::string predicted;
      for (long i : best) {
        predicted = upper(wv.word(i));
        if (predicted != q.ua && predicted != q.ub && predicted != q.uc) break;
      }
      AnalogySection& s = report.sections[q.section];
      if (predicted == q.expected) ++s.correct;
      else ++s.incorrect;
    }
    if (progress && !progress(float(start + b) / questions.size(), "answering analogies")) throw Cancelled();
  }
  report.total.name = "Total accuracy";
  for (const auto& s : report.sections) {
    report.total.correct += s.correct;
    report.total.incorrect += s.incorrect;
    report.total.skipped += s.skipped;
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace latent
