#include "latent/file_ops.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "latent/errors.h"

namespace latent {

namespace {
int real_open(const char* path, int flags, mode_t mode) { return ::open(path, flags, mode); }
int real_rename(const char* from, const char* to) { return std::rename(from, to); }

const FileOps kReal = {real_open, ::read, ::write, ::fsync, ::close, real_rename, ::link, ::unlink};
FileOps g_ops = kReal;

std::string why(int err) { return std::strerror(err); }
}  // namespace

FileOps& file_ops() { return g_ops; }
const FileOps& real_file_ops() { return kReal; }

std::string read_whole_file(const std::string& path, const std::string& what) {
  const int fd = file_ops().open(path.c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) throw IoError(path + ": cannot open " + what + " (" + why(errno) + ")");
  // Only regular files: a path such as /dev/zero (typed into z("...")) would never end.
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    file_ops().close(fd);
    throw IoError(path + ": " + what + " is not a regular file");
  }
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t got = file_ops().read(fd, buf, sizeof buf);
    if (got < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      file_ops().close(fd);
      throw IoError(path + ": reading " + what + " failed after " + std::to_string(out.size()) + " bytes (" +
                    why(err) + ")");
    }
    if (got == 0) break;
    out.append(buf, static_cast<size_t>(got));
  }
  file_ops().close(fd);  // read-only: a failed close loses nothing
  return out;
}

std::string write_temp_file(const std::string& path, const std::string& text, const std::string& what) {
  const std::string tmp = path + ".saving";
  const auto fail = [&](const std::string& step, int err, int fd) {
    if (fd >= 0) file_ops().close(fd);
    file_ops().unlink(tmp.c_str());
    throw IoError(path + ": saving " + what + " failed while " + step + " (" + why(err) + "); the previous file is untouched");
  };
  const int fd = file_ops().open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("creating " + tmp, errno, -1);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t w = file_ops().write(fd, text.data() + done, text.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail("writing " + tmp, errno, fd);
    }
    if (w == 0) fail("writing " + tmp, EIO, fd);
    done += static_cast<size_t>(w);
  }
  if (file_ops().fsync(fd) != 0) fail("flushing " + tmp + " to disk", errno, fd);
  if (file_ops().close(fd) != 0) fail("closing " + tmp, errno, -1);
  return tmp;
}

void sync_parent_folder(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? "." : parent.string();
  const int dfd = file_ops().open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dfd >= 0) {
    file_ops().fsync(dfd);  // best effort: some file systems refuse fsync on folders
    file_ops().close(dfd);
  }
}

}  // namespace latent
