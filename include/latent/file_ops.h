#pragma once
// The system calls under the session save and load paths, as a table of function
// pointers. Production code always uses the real ones; the fault-injection tests swap in
// ones that fail on the Nth call to prove that every failure becomes an Error and leaves
// the previous file intact.
#include <sys/types.h>

#include <string>

namespace latent {

struct FileOps {
  int (*open)(const char* path, int flags, mode_t mode);
  ssize_t (*read)(int fd, void* buf, size_t n);
  ssize_t (*write)(int fd, const void* buf, size_t n);
  int (*fsync)(int fd);
  int (*close)(int fd);
  int (*rename)(const char* from, const char* to);
  int (*link)(const char* from, const char* to);
  int (*unlink)(const char* path);
};

// The table in use (the real calls unless a test changed it).
FileOps& file_ops();
// The real calls, for tests that wrap them.
const FileOps& real_file_ops();

// The whole file through file_ops(); IoError names the file and `what` it is.
std::string read_whole_file(const std::string& path, const std::string& what);

// Writes `text` to `path` + ".saving", fsyncs and closes it, all through file_ops();
// on any failure removes the temporary file and throws IoError naming `path`.
// Returns the temporary file's name; the caller verifies it and renames it into place.
std::string write_temp_file(const std::string& path, const std::string& text, const std::string& what);

// fsyncs the folder holding `path`, so a rename into it survives a power cut.
void sync_parent_folder(const std::string& path);

}  // namespace latent
