// asyncio.transports: the interfaces of transports; the loop creates the implementations.
#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

class BaseProtocol;
class EventLoop;

namespace detail {
/// The value of get_extra_info's std::any as a T, or nullopt (absent, or of another type).
template <class T>
std::optional<T> extra_info_as(const std::any& info) {
  if (const T* value = std::any_cast<T>(&info)) return *value;
  return std::nullopt;
}
}  // namespace detail

class BaseTransport : public std::enable_shared_from_this<BaseTransport> {
 public:
  virtual ~BaseTransport() = default;
  virtual void close() = 0;
  virtual bool is_closing() const = 0;
  virtual void set_protocol(std::shared_ptr<BaseProtocol> protocol) = 0;
  virtual std::shared_ptr<BaseProtocol> get_protocol() const = 0;
  /// get_extra_info('pipe') and friends: the fd, or -1 once closed.
  virtual int fileno() const { return -1; }
  /// For logs and exception contexts, like asyncio's transport reprs.
  virtual std::string repr() const { return "<Transport>"; }
  /// get_extra_info: "peername"/"sockname" give a SockAddr, "socket"/"pipe" an int fd;
  /// an empty std::any where the transport has no such information.
  virtual std::any get_extra_info(std::string_view name) const {
    (void)name;
    return {};
  }
  /// get_extra_info(name, default): `default_value` where there is no such information.
  std::any get_extra_info(std::string_view name, std::any default_value) const {
    std::any info = get_extra_info(name);
    return info.has_value() ? info : default_value;
  }
  /// Typed: get_extra_info<SockAddr>("peername"); nullopt when absent or of another type.
  template <class T>
  std::optional<T> get_extra_info(std::string_view name) const {
    return detail::extra_info_as<T>(get_extra_info(name));
  }
  /// Typed with a default: get_extra_info<int>("socket", -1).
  template <class T>
  T get_extra_info(std::string_view name, std::type_identity_t<T> default_value) const {
    return get_extra_info<T>(name).value_or(std::move(default_value));
  }
  // A transport that overrides get_extra_info(name) hides these overloads on its own type:
  // such a class adds `using BaseTransport::get_extra_info;`.
};

class ReadTransport : public virtual BaseTransport {
 public:
  virtual bool is_reading() const = 0;
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;
};

class WriteTransport : public virtual BaseTransport {
 public:
  virtual void write(std::string_view data) = 0;
  void write(std::span<const std::byte> data) {
    write(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
  }
  void writelines(const std::vector<std::string>& lines) {
    for (const auto& line : lines) write(std::string_view(line));
  }
  virtual void write_eof() = 0;
  virtual bool can_write_eof() const = 0;
  virtual void abort() = 0;
  virtual std::size_t get_write_buffer_size() const = 0;
  /// (low, high)
  virtual std::pair<std::size_t, std::size_t> get_write_buffer_limits() const = 0;
  /// high defaults to 64 KiB, low to high / 4; std::invalid_argument unless high >= low.
  virtual void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                                       std::optional<std::size_t> low = std::nullopt) = 0;
};

class Transport : public ReadTransport, public WriteTransport {};

/// A socket address: (host, port) for IP, a path for AF_UNIX (in `host`, port 0).
struct SockAddr {
  int family = 0;
  std::string host;
  int port = 0;
  std::uint32_t flowinfo = 0;  // AF_INET6 only, as the 4-tuple Python gives
  std::uint32_t scope_id = 0;  // AF_INET6 only
  /// As Python prints it: ('127.0.0.1', 8888), ('::1', 8888, 0, 0) or '/tmp/sock'.
  std::string repr() const;
  bool operator==(const SockAddr&) const = default;
};

class DatagramTransport : public virtual BaseTransport {
 public:
  /// Without an address, to the connected remote_addr. Never blocks: it buffers.
  virtual void sendto(std::string_view data,
                      const std::optional<SockAddr>& addr = std::nullopt) = 0;
  virtual void abort() = 0;
  virtual std::size_t get_write_buffer_size() const = 0;
};

class SubprocessTransport : public virtual BaseTransport {
 public:
  virtual int get_pid() const = 0;
  /// std::nullopt while the child runs; -N when signal N killed it.
  virtual std::optional<int> get_returncode() const = 0;
  /// The transport of the child's fd 0, 1 or 2; nullptr if that fd is not a pipe.
  virtual std::shared_ptr<BaseTransport> get_pipe_transport(int fd) const = 0;
  /// std::system_error(ESRCH) once the child has been reaped: its pid may be reused.
  virtual void send_signal(int sig) = 0;
  virtual void terminate() = 0;
  virtual void kill() = 0;
};

}  // namespace asyncio
ASYNCIO_CPP_API_END
