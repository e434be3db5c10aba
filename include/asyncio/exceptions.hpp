// asyncio.exceptions: the error types a port catches, named as in CPython.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace asyncio {

/// CancelledError is a BaseException in Python: deliberately not a std::exception,
/// so that `catch (const std::exception&)` does not swallow cancellation.
class CancelledError {
 public:
  CancelledError() = default;
  explicit CancelledError(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept { return message_.c_str(); }
  const std::string& message() const noexcept { return message_; }

 private:
  std::string message_;
};

/// Python's KeyboardInterrupt, a BaseException: what Runner::run and asyncio::run throw when
/// Ctrl-C (SIGINT) cancelled the main task. Not a std::exception either, for the same reason.
struct KeyboardInterrupt {
  const char* what() const noexcept { return ""; }
};

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RuntimeError : public Error {
 public:
  using Error::Error;
};

class InvalidStateError : public Error {
 public:
  using Error::Error;
};

class TimeoutError : public Error {
 public:
  TimeoutError() : Error("") {}
  using Error::Error;
};

class SendfileNotAvailableError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

class IncompleteReadError : public Error {
 public:
  IncompleteReadError(std::string partial, std::optional<std::size_t> expected);
  std::string partial;
  std::optional<std::size_t> expected;
};

class LimitOverrunError : public Error {
 public:
  LimitOverrunError(const std::string& message, std::size_t consumed)
      : Error(message), consumed(consumed) {}
  std::size_t consumed;
};

class QueueEmpty : public Error {
 public:
  QueueEmpty() : Error("") {}
};

class QueueFull : public Error {
 public:
  QueueFull() : Error("") {}
};

class QueueShutDown : public Error {
 public:
  QueueShutDown() : Error("") {}
};

class BrokenBarrierError : public Error {
 public:
  using Error::Error;
};

class ExceptionGroup : public Error {
 public:
  ExceptionGroup(const std::string& message, std::vector<std::exception_ptr> exceptions);
  std::vector<std::exception_ptr> exceptions;
};

/// "TypeName: message", the last line of a Python traceback; used by log output.
std::string describe_exception(const std::exception_ptr& exc);
/// "TypeName('message')", Python's repr() of an exception.
std::string exception_repr(const std::exception_ptr& exc);

}  // namespace asyncio
