// asyncio.protocols: the callback interfaces a transport drives.
// Protocols are user classes (subclass and override), so these are virtual by design.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <span>
#include <string_view>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

class BaseTransport;

class BaseProtocol {
 public:
  virtual ~BaseProtocol() = default;
  /// The transport is a BaseTransport, as in asyncio; cast it to what it is
  /// (`std::dynamic_pointer_cast<WriteTransport>(t)`, `<SubprocessTransport>`, ...).
  virtual void connection_made(std::shared_ptr<BaseTransport> transport) { (void)transport; }
  /// nullptr: a normal close or EOF; otherwise the error that ended the connection.
  virtual void connection_lost(std::exception_ptr exc) { (void)exc; }
  /// Flow control of the transport's write buffer (high and low water marks).
  virtual void pause_writing() {}
  virtual void resume_writing() {}
};

class Protocol : public virtual BaseProtocol {
 public:
  /// `data` is valid during the call only.
  virtual void data_received(std::string_view data) { (void)data; }
  /// Return true to keep the transport half-open (only where it can be).
  virtual bool eof_received() { return false; }
};

/// The zero-copy read path: the transport reads straight into the protocol's buffer.
class BufferedProtocol : public virtual BaseProtocol {
 public:
  /// A buffer to read into; `sizehint` is a hint (-1: any size). Must not be empty.
  virtual std::span<char> get_buffer(std::ptrdiff_t sizehint) = 0;
  virtual void buffer_updated(std::size_t nbytes) = 0;
  virtual bool eof_received() { return false; }
};

struct SockAddr;

class DatagramProtocol : public virtual BaseProtocol {
 public:
  virtual void datagram_received(std::string_view data, const SockAddr& addr) {
    (void)data;
    (void)addr;
  }
  /// A send or receive failed (ICMP port unreachable gives ECONNREFUSED, ...).
  virtual void error_received(std::exception_ptr exc) { (void)exc; }
};

class SubprocessProtocol : public virtual BaseProtocol {
 public:
  /// fd is the child's: 1 for stdout, 2 for stderr.
  virtual void pipe_data_received(int fd, std::string_view data) {
    (void)fd;
    (void)data;
  }
  virtual void pipe_connection_lost(int fd, std::exception_ptr exc) {
    (void)fd;
    (void)exc;
  }
  virtual void process_exited() {}
};

}  // namespace asyncio
ASYNCIO_CPP_API_END
