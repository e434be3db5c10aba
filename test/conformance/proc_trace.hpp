// Helpers for the pipe_* and subprocess_* conformance pairs: Python-like reprs of strings,
// lists and OSError names, and a few raw fd utilities the .py files get from `os`.
#pragma once

#include <asyncio/asyncio.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include <vector>
#include "trace.hpp"

namespace proc_trace {

// Argument lists and options built outside co_await expressions: GCC 12 rejects a braced
// initializer list inside one ("array used as initializer").
template <class... S>
std::vector<std::string> args(const S&... s) {
  return {std::string(s)...};
}

inline asyncio::SubprocessOptions stdio(std::optional<int> in, std::optional<int> out = {},
                                        std::optional<int> err = {}) {
  asyncio::SubprocessOptions options;
  options.stdin_ = in;
  options.stdout_ = out;
  options.stderr_ = err;
  return options;
}

// repr() of a str holding ASCII text: in double quotes when it holds a ' and no ", as Python.
inline std::string repr(std::string_view text) {
  const bool doubled = text.find('\'') != text.npos && text.find('"') == text.npos;
  const char quote = doubled ? '"' : '\'';
  std::string out(1, quote);
  for (char c : text) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += doubled ? "'" : "\\'";
        break;
      default:
        out += c;
    }
  }
  return out + quote;
}

// repr() of bytes holding ASCII text.
inline std::string bytes_repr(std::string_view data) {
  return "b" + repr(data);
}

inline std::string optional_bytes_repr(const std::optional<std::string>& data) {
  return data ? bytes_repr(*data) : "None";
}

// repr() of a list of str.
inline std::string str_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + repr(items[i]);
  return out + "]";
}

// repr() of a list whose items are already formatted (ints, bools, None...).
inline std::string raw_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + "]";
}

inline std::string int_list(const std::vector<int>& items) {
  std::vector<std::string> parts;
  for (int i : items) parts.push_back(std::to_string(i));
  return raw_list(parts);
}

inline std::string py_bool(bool b) {
  return b ? "True" : "False";
}

inline std::string optional_int(const std::optional<int>& value) {
  return value ? std::to_string(*value) : "None";
}

inline std::string errno_name(int err) {
  switch (err) {
    case ENOENT:
      return "ENOENT";
    case EACCES:
      return "EACCES";
    case EPERM:
      return "EPERM";
    case EPIPE:
      return "EPIPE";
    case ECONNRESET:
      return "ECONNRESET";
    case ESRCH:
      return "ESRCH";
    default:
      return std::to_string(err);
  }
}

// The Python name of what connection_lost / an await received: None, an OSError subclass,
// or the C++ type for anything else (which would not match the .py trace).
inline std::string exception_name(const std::exception_ptr& exc) {
  if (!exc) return "None";
  try {
    std::rethrow_exception(exc);
  } catch (const asyncio::OSError& e) {
    return trace::type_name(e);
  } catch (const std::exception& e) {
    return std::string("C++ exception: ") + e.what();
  } catch (...) {
    return "unknown exception";
  }
}

// The end of a connection as the .py files' protocols record it: eof_received and
// connection_lost go to `events`, and `lost` completes. Base: Protocol or BufferedProtocol;
// Describe names connection_lost's exception as the pair's .py prints it.
template <class Base, std::string (*Describe)(const std::exception_ptr&) = exception_name>
class RecordsEnd : public Base {
 public:
  bool eof_received() override {
    events.push_back("eof_received");
    return false;
  }
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("connection_lost " + Describe(exc));
    lost.set_result();
  }

  std::vector<std::string> events;
  asyncio::Future<void> lost = asyncio::get_running_loop().create_future<void>();
};

inline int error_code(const std::exception_ptr& exc) {
  try {
    std::rethrow_exception(exc);
  } catch (const std::system_error& e) {
    return e.code().value();
  } catch (...) {
    return -1;
  }
}

inline bool fd_is_open(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0;
}

inline std::size_t open_fd_count() {
  std::size_t n = 0;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] != '.') ++n;
    }
    ::closedir(dir);  // its fd was counted, as os.listdir counts its own
  }
  return n;
}

inline void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

inline void set_inheritable(int fd) {
  ::fcntl(fd, F_SETFD, 0);
}

// tempfile.TemporaryDirectory(): a fresh directory under $TMPDIR (or /tmp), removed with all
// it holds on the way out.
struct TemporaryDirectory {
  explicit TemporaryDirectory(const std::string& prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/" + prefix + "XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path = pattern;
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  ~TemporaryDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string path;
};

// os.pipe(): both ends non-inheritable.
inline std::pair<int, int> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category());
  return {fds[0], fds[1]};
}

inline void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) throw std::system_error(errno, std::generic_category(), "write");
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// A blocking read of fd until EOF, then close(fd).
inline std::string read_to_eof(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

// The .py files' add_reader + asyncio.Event loop: reads a non-blocking fd until `want`
// bytes (want < 0: until EOF, then closes it).
inline asyncio::Coro<std::string> read_with_loop(int fd, std::ptrdiff_t want = -1) {
  auto& loop = asyncio::get_running_loop();
  std::string out;
  asyncio::Event readable;
  loop.add_reader(fd, [&readable] { readable.set(); });
  while (want < 0 || static_cast<std::ptrdiff_t>(out.size()) < want) {
    co_await readable.wait();
    readable.clear();
    char buf[65536];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) continue;  // EAGAIN
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  loop.remove_reader(fd);
  if (want < 0) ::close(fd);
  co_return out;
}

}  // namespace proc_trace
