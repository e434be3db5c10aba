// asyncio.exceptions: the error types a port catches, named as in CPython.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
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

/// Python's OSError. code() is the errno, with value 0 when Python's errno is None; what() is
/// str(e): "[Errno 111] Connection refused", or the bare message of an errno-less OSError.
/// Throw one through throw_os_error()/make_os_error(), which pick the subclass by errno as
/// Python's OSError(errno, ...) does.
class OSError : public std::system_error {
 public:
  /// OSError(errno): strerror is the C library's text for it.
  explicit OSError(int err);
  /// OSError(errno, strerror): "[Errno N] strerror".
  OSError(int err, std::string strerror);
  /// OSError(errno, strerror, filename): "[Errno N] strerror: 'filename'".
  OSError(int err, std::string strerror, std::string filename);
  /// OSError("message"): errno None, what() is the message.
  explicit OSError(std::string message);
  explicit OSError(const char* message) : OSError(std::string(message)) {}

  bool has_errno() const noexcept { return has_errno_; }
  /// e.strerror: the text after "[Errno N] " (empty for an errno-less OSError).
  const std::string& strerror() const noexcept { return strerror_; }
  /// e.filename, if one was given.
  const std::optional<std::string>& filename() const noexcept { return filename_; }
  const char* what() const noexcept override { return text_.c_str(); }

 protected:
  /// For a subclass whose str() is not "[Errno N] strerror" (ssl.SSLError's is its strerror).
  OSError(std::error_code code, std::string strerror, std::string text);

 private:
  bool has_errno_ = false;
  std::string strerror_;
  std::optional<std::string> filename_;
  std::string text_;
};

class BlockingIOError : public OSError {  // EAGAIN, EALREADY, EWOULDBLOCK, EINPROGRESS
 public:
  using OSError::OSError;
};
class ChildProcessError : public OSError {  // ECHILD
 public:
  using OSError::OSError;
};
class ConnectionError : public OSError {
 public:
  using OSError::OSError;
};
class BrokenPipeError : public ConnectionError {  // EPIPE, ESHUTDOWN
 public:
  using ConnectionError::ConnectionError;
};
class ConnectionAbortedError : public ConnectionError {  // ECONNABORTED
 public:
  using ConnectionError::ConnectionError;
};
class ConnectionRefusedError : public ConnectionError {  // ECONNREFUSED
 public:
  using ConnectionError::ConnectionError;
};
class ConnectionResetError : public ConnectionError {  // ECONNRESET
 public:
  using ConnectionError::ConnectionError;
};
class FileExistsError : public OSError {  // EEXIST
 public:
  using OSError::OSError;
};
class FileNotFoundError : public OSError {  // ENOENT
 public:
  using OSError::OSError;
};
class InterruptedError : public OSError {  // EINTR
 public:
  using OSError::OSError;
};
class IsADirectoryError : public OSError {  // EISDIR
 public:
  using OSError::OSError;
};
class NotADirectoryError : public OSError {  // ENOTDIR
 public:
  using OSError::OSError;
};
class PermissionError : public OSError {  // EACCES, EPERM
 public:
  using OSError::OSError;
};
class ProcessLookupError : public OSError {  // ESRCH
 public:
  using OSError::OSError;
};

/// Python's builtin TimeoutError, which asyncio.TimeoutError is since 3.11: an OSError (ETIMEDOUT
/// maps to it), so `catch (const asyncio::OSError&)` catches a wait_for timeout as `except
/// OSError` does. It is not an asyncio::Error: one exception cannot hold two std::exception bases
/// and still be caught as std::exception.
class TimeoutError : public OSError {
 public:
  TimeoutError() : OSError(std::string()) {}
  using OSError::OSError;
};

/// socket.gaierror: a failed getaddrinfo/getnameinfo. code() is the EAI_* value (negative on
/// Linux), what() Python's "[Errno -2] Name or service not known".
class gaierror : public OSError {
 public:
  explicit gaierror(int eai_code);
  using OSError::OSError;
};

/// OSError(err, strerror[, filename]) as Python builds it: an instance of the subclass the errno
/// maps to (ECONNREFUSED: ConnectionRefusedError, ENOENT: FileNotFoundError, ...), else OSError.
/// An empty strerror means the C library's text for err.
std::exception_ptr make_os_error(int err, std::string strerror = {},
                                 std::optional<std::string> filename = std::nullopt);
[[noreturn]] void throw_os_error(int err, std::string strerror = {},
                                 std::optional<std::string> filename = std::nullopt);
/// The same, from an error_code of the system or generic category (Asio's included).
[[noreturn]] void throw_os_error(std::error_code ec);
/// The Python name of the class make_os_error picks for err: "ConnectionRefusedError", "OSError".
const char* os_error_name(int err) noexcept;

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
  LimitOverrunError(const std::string& message, std::size_t consumed_bytes)
      : Error(message), consumed(consumed_bytes) {}
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
/// "message", Python's str() of an exception.
std::string exception_str(const std::exception_ptr& exc);

}  // namespace asyncio
ASYNCIO_CPP_API_END
