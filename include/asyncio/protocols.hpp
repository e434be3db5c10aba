// asyncio.protocols: the callback interfaces a transport drives.
// Protocols are user classes (subclass and override), so these are virtual by design.
#pragma once

#include <exception>
#include <memory>
#include <string_view>

namespace asyncio {

class BaseTransport;

class BaseProtocol {
 public:
  virtual ~BaseProtocol() = default;
  // The transport is a BaseTransport, as in asyncio; cast it to what it is
  // (std::dynamic_pointer_cast<WriteTransport>(t), <SubprocessTransport>, ...).
  virtual void connection_made(std::shared_ptr<BaseTransport> transport) { (void)transport; }
  // nullptr: a normal close or EOF; otherwise the error that ended the connection.
  virtual void connection_lost(std::exception_ptr exc) { (void)exc; }
  // Flow control of the transport's write buffer (high and low water marks).
  virtual void pause_writing() {}
  virtual void resume_writing() {}
};

class Protocol : public virtual BaseProtocol {
 public:
  // `data` is valid during the call only.
  virtual void data_received(std::string_view data) { (void)data; }
  // Return true to keep the transport half-open (only where it can be).
  virtual bool eof_received() { return false; }
};

class SubprocessProtocol : public virtual BaseProtocol {
 public:
  // fd is the child's: 1 for stdout, 2 for stderr.
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
