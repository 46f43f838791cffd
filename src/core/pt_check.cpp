#include "latent/pt_check.h"

#include <algorithm>

#include "latent/errors.h"
#include "latent/file_ops.h"

namespace latent {

namespace {

constexpr uint32_t kEocdSig = 0x06054b50;       // end of central directory
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kLocalSig = 0x04034b50;
// Deflate cannot expand by more than about 1032:1; a larger claim is a lie.
constexpr uint64_t kMaxDeflateRatio = 1032;

struct Reader {
  const std::string& b;
  const std::string& file;
  uint64_t u16(uint64_t off) const { return need(off, 2), uint64_t(byte(off)) | uint64_t(byte(off + 1)) << 8; }
  uint64_t u32(uint64_t off) const { return need(off, 4), u16(off) | u16(off + 2) << 16; }
  uint64_t u64(uint64_t off) const { return need(off, 8), u32(off) | u32(off + 4) << 32; }
  uint8_t byte(uint64_t off) const { return static_cast<uint8_t>(b[off]); }
  void need(uint64_t off, uint64_t n) const {
    if (off > b.size() || n > b.size() - off)
      throw FormatError(file + ": the zip records point past the end of the file (" + std::to_string(n) +
                        " bytes at offset " + std::to_string(off) + ", the file has " + std::to_string(b.size()) +
                        "); the file is truncated or damaged");
  }
  [[noreturn]] void bad(const std::string& what) const {
    throw FormatError(file + ": not a valid PyTorch archive (" + what + "); it was not given to LibTorch");
  }
};

}  // namespace

PtArchiveSummary check_pt_archive_bytes(const std::string& bytes, const std::string& file) {
  Reader r{bytes, file};
  if (bytes.size() < 22 || r.u32(0) != kLocalSig)
    r.bad("it does not start like a zip archive; PyTorch 1.6 and later save .pt files as zip archives");
  // The end record is in the last 22 + 65535 bytes (it may carry a comment).
  uint64_t eocd = UINT64_MAX;
  const uint64_t lowest = bytes.size() > 22 + 65535 ? bytes.size() - 22 - 65535 : 0;
  for (uint64_t off = bytes.size() - 22 + 1; off-- > lowest;)
    if (r.u32(off) == kEocdSig && off + 22 + r.u16(off + 20) == bytes.size()) {
      eocd = off;
      break;
    }
  if (eocd == UINT64_MAX) r.bad("no end-of-archive record: the file is truncated");
  uint64_t entries = r.u16(eocd + 10), cd_size = r.u32(eocd + 12), cd_off = r.u32(eocd + 16);
  uint64_t cd_end_limit = eocd;
  if (entries == 0xFFFF || cd_size == 0xFFFFFFFF || cd_off == 0xFFFFFFFF) {
    if (eocd < 20 || r.u32(eocd - 20) != kZip64LocatorSig) r.bad("a zip64 archive without its zip64 locator");
    const uint64_t z = r.u64(eocd - 20 + 8);
    if (z > eocd - 20 || r.u32(z) != kZip64EocdSig) r.bad("the zip64 end record is not where the locator says");
    entries = r.u64(z + 32);
    cd_size = r.u64(z + 40);
    cd_off = r.u64(z + 48);
    cd_end_limit = z;
  }
  if (r.u16(eocd + 4) != 0 || r.u16(eocd + 6) != 0) r.bad("a multi-part archive");
  if (cd_off > cd_end_limit || cd_size > cd_end_limit - cd_off)
    r.bad("the central directory (" + std::to_string(cd_size) + " bytes at offset " + std::to_string(cd_off) +
          ") does not fit in the file");
  if (entries == 0 || entries > cd_size / 46) r.bad(std::to_string(entries) + " entries cannot fit in the directory");

  PtArchiveSummary sum;
  bool has_data_pkl = false;
  uint64_t off = cd_off;
  for (uint64_t i = 0; i < entries; ++i) {
    const std::string at = "entry " + std::to_string(i + 1);
    if (off + 46 > cd_off + cd_size || r.u32(off) != kCentralSig) r.bad(at + ": no directory record where expected");
    const uint64_t method = r.u16(off + 10);
    uint64_t csize = r.u32(off + 20), usize = r.u32(off + 24), local = r.u32(off + 42);
    const uint64_t name_len = r.u16(off + 28), extra_len = r.u16(off + 30), comment_len = r.u16(off + 32);
    const uint64_t next = off + 46 + name_len + extra_len + comment_len;
    if (next > cd_off + cd_size) r.bad(at + ": its record runs past the directory");
    const std::string name = bytes.substr(off + 46, name_len);
    // zip64 sizes and offset, in the order the 32-bit fields that overflowed appear.
    for (uint64_t e = off + 46 + name_len; e + 4 <= off + 46 + name_len + extra_len;) {
      const uint64_t id = r.u16(e), len = r.u16(e + 2);
      if (e + 4 + len > off + 46 + name_len + extra_len) r.bad(at + " (" + name + "): a damaged extra field");
      if (id == 0x0001) {
        uint64_t p = e + 4;
        const auto take = [&](uint64_t& field) {
          if (field != 0xFFFFFFFF) return;
          if (p + 8 > e + 4 + len) r.bad(at + " (" + name + "): a short zip64 field");
          field = r.u64(p);
          p += 8;
        };
        take(usize);
        take(csize);
        take(local);
      }
      e += 4 + len;
    }
    if (method != 0 && method != 8) r.bad(at + " (" + name + "): compression method " + std::to_string(method));
    if (method == 0 && csize != usize) r.bad(at + " (" + name + "): stored, yet its two sizes differ");
    if (method == 8 && usize / kMaxDeflateRatio > csize)
      r.bad(at + " (" + name + "): claims " + std::to_string(usize) + " bytes from " + std::to_string(csize));
    if (local > cd_off || 30 > cd_off - local || r.u32(local) != kLocalSig)
      r.bad(at + " (" + name + "): no local record at offset " + std::to_string(local));
    const uint64_t data = local + 30 + r.u16(local + 26) + r.u16(local + 28);
    if (data > cd_off || csize > cd_off - data)
      r.bad(at + " (" + name + "): " + std::to_string(csize) + " bytes at offset " + std::to_string(data) +
            " run past the data area (" + std::to_string(cd_off) + " bytes)");
    if (name.size() >= 8 && name.compare(name.size() - 8, 8, "data.pkl") == 0) has_data_pkl = true;
    sum.stored_bytes += csize;
    sum.uncompressed_bytes += usize;
    off = next;
  }
  if (!has_data_pkl) r.bad("a zip archive without data.pkl, so not one PyTorch saved");
  sum.entries = entries;
  return sum;
}

PtArchiveSummary check_pt_archive(const std::string& path) {
  return check_pt_archive_bytes(read_whole_file(path, "the model file"), path);
}

}  // namespace latent
