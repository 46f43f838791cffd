#pragma once
// Typed errors of the core. Each message names the file (or input) and what was
// wrong, in words a person can act on; callers add context when they rethrow.
#include <stdexcept>
#include <string>

namespace latent {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file could not be opened, read or written.
class IoError : public Error {
 public:
  using Error::Error;
};

// A file was read but its content is not what it should be (truncated, bad magic,
// wrong sizes, malformed JSON...).
class FormatError : public Error {
 public:
  using Error::Error;
};

// A request the space or tool cannot do (unknown kind, no encoder, wrong dimension).
class UnsupportedError : public Error {
 public:
  using Error::Error;
};

// The person cancelled a long operation.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
};

// Rethrows the exception currently being handled with `context: ` in front of its
// message, keeping its type when it is one of ours.
[[noreturn]] void rethrow_with_context(const std::string& context);

}  // namespace latent
