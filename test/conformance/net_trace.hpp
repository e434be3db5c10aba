// Helpers for the net_* and streams_* conformance pairs: Python-like names of socket
// errors, reprs of event lists and addresses, and a few socket utilities the .py files get
// from the `socket` module.
#pragma once

#include <asyncio/asyncio.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <any>
#include <cctype>
#include <cerrno>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "proc_trace.hpp"

namespace net_trace {

// What connection_lost received, as the .py files print it: None or the exception's type.
inline std::string exc_str(const std::exception_ptr& exc) {
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

inline std::optional<asyncio::SockAddr> addr_info(const asyncio::BaseTransport& t,
                                                  std::string_view name) {
  std::any info = t.get_extra_info(name);
  if (auto* addr = std::any_cast<asyncio::SockAddr>(&info)) return *addr;
  return std::nullopt;
}

inline std::string addr_repr(const std::optional<asyncio::SockAddr>& addr) {
  return addr ? addr->repr() : "None";
}

inline int port_of(const asyncio::Server& server) {
  return server.addresses().at(0).port;
}

// A local TCP or UDP port nobody listens on (bound, then closed); throws if it cannot bind,
// so that no test goes on with port 0.
inline int closed_port(int type = SOCK_STREAM) {
  int s = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
    int error = errno;
    if (s >= 0) ::close(s);
    throw std::system_error(error, std::generic_category(), "closed_port");
  }
  socklen_t len = sizeof sin;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&sin), &len);
  ::close(s);
  return ntohs(sin.sin_port);
}

// A transport of no socket (CPython's tests use a mock): its extra info is what it was given.
struct FakeTransport : asyncio::Transport {
  std::map<std::string, std::any, std::less<>> extra;
  bool closing = false;
  void close() override { closing = true; }
  bool is_closing() const override { return closing; }
  void set_protocol(std::shared_ptr<asyncio::BaseProtocol>) override {}
  std::shared_ptr<asyncio::BaseProtocol> get_protocol() const override { return nullptr; }
  std::string repr() const override { return "<FakeTransport>"; }
  std::any get_extra_info(std::string_view name) const override {
    auto it = extra.find(name);
    return it == extra.end() ? std::any() : it->second;
  }
  using asyncio::BaseTransport::get_extra_info;  // the overloads with a default, typed
  bool is_reading() const override { return false; }
  void pause_reading() override {}
  void resume_reading() override {}
  void write(std::string_view) override {}
  void write_eof() override {}
  bool can_write_eof() const override { return false; }
  void abort() override { closing = true; }
  std::size_t get_write_buffer_size() const override { return 0; }
  std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override { return {}; }
  void set_write_buffer_limits(std::optional<std::size_t>, std::optional<std::size_t>) override {}
};

// The end of a streams pair: writer.close(), then server.close(), each awaited (net_trace.py's).
inline asyncio::Coro<> close_writer_and_server(std::shared_ptr<asyncio::StreamWriter> writer,
                                               std::shared_ptr<asyncio::Server> server) {
  writer->close();
  co_await writer->wait_closed();
  server->close();
  co_await server->wait_closed();
}

// A few loop iterations, as `for _ in range(n): await asyncio.sleep(0)`.
inline asyncio::Coro<void> spin(int n) {
  for (int i = 0; i < n; ++i) co_await asyncio::sleep(0);
}

}  // namespace net_trace

namespace net_trace {

// The end of a connection as net_trace.py's Recorder records it (exceptions as exc_str).
template <class Base>
using RecordsEnd = proc_trace::RecordsEnd<Base, exc_str>;

// Records each callback as net_trace.py's Recorder does; with a reply function, answers
// data_received with reply(data).
class Recorder : public RecordsEnd<asyncio::Protocol> {
 public:
  using Reply = std::string (*)(std::string_view);
  explicit Recorder(Reply reply = nullptr, bool record_made = true)
      : reply_(reply), record_made_(record_made) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::Transport>(t);
    if (record_made_) events.push_back("connection_made");
  }
  void data_received(std::string_view data) override {
    events.push_back("data_received " + std::string(data));
    if (reply_) transport->write(reply_(data));
  }

  std::shared_ptr<asyncio::Transport> transport;

 private:
  Reply reply_;
  bool record_made_;
};

// A Recorder that leaves connection_made out.
struct QuietRecorder : Recorder {
  QuietRecorder() : Recorder(nullptr, false) {}
};

// A server protocol that starts with reading paused, so that what a client writes piles up
// in the client's buffer; counts what it receives once resumed (net_trace.py's PausedSink).
class PausedSink : public RecordsEnd<asyncio::Protocol> {
 public:
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::Transport>(t);
    transport->pause_reading();
    made.set_result();
  }
  void data_received(std::string_view data) override { received += data.size(); }

  asyncio::Future<void> made = asyncio::get_running_loop().create_future<void>();
  std::size_t received = 0;
  std::shared_ptr<asyncio::Transport> transport;
};

template <class Client, class Sink>
struct SinkConnection {
  std::shared_ptr<asyncio::Server> server;
  std::shared_ptr<asyncio::Transport> transport;
  std::shared_ptr<Client> client;
  std::shared_ptr<Sink> sink;
};

// A server on 127.0.0.1 whose one connection gets a Sink, and a Client connected to it, once
// the sink has its transport (net_trace.py's connect_to_sink).
template <class Client, class Sink = PausedSink>
asyncio::Coro<SinkConnection<Client, Sink>> connect_to_sink() {
  auto& loop = asyncio::get_running_loop();
  auto sink = std::make_shared<Sink>();
  // Named: GCC 12 destroys a capturing lambda temporary twice inside co_await.
  auto sink_factory = [sink] { return sink; };
  auto server = co_await loop.create_server(sink_factory, "127.0.0.1", 0);
  auto client_factory = [] { return std::make_shared<Client>(); };
  auto [transport, client] =
      co_await loop.create_connection(client_factory, "127.0.0.1", port_of(*server));
  co_await sink->made;
  SinkConnection<Client, Sink> connection{server, transport, client, sink};
  co_return connection;
}

// bytes.upper
inline std::string upper(std::string_view data) {
  std::string out(data);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// repr() of bytes that are printable ASCII with newlines: b'line\n'
inline std::string bytes_repr(const std::string& s) {
  std::string out = "b'";
  for (char c : s) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out + "'";
}

}  // namespace net_trace
