// Mirrors CPython test_selector_events.SelectorSocketTransportTests.test_read_ready_err /
// test__read_ready_data_received_err... (_fatal_error on a protocol failure) and
// SelectorSocketTransportBufferedProtocolTests.test_get_buffer_zerosized /
// test_proto_type_switch: an exception from data_received or eof_received goes to the loop's
// exception handler as "Fatal error: protocol.X() call failed." and the transport is closed
// with connection_lost(that exception); an empty buffer from get_buffer is a RuntimeError.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using proc_trace::str_list;

// type(exc).__name__ and str(exc), for the exceptions this pair raises.
std::string describe(const std::exception_ptr& exc) {
  try {
    std::rethrow_exception(exc);
  } catch (const std::invalid_argument& e) {
    return std::string("ValueError ") + e.what();
  } catch (const std::runtime_error& e) {
    return std::string("RuntimeError ") + e.what();
  } catch (const std::exception& e) {
    return std::string("C++ exception ") + e.what();
  } catch (...) {
    return "unknown";
  }
}

std::string type_name(const std::exception_ptr& exc) {
  std::string d = describe(exc);
  return d.substr(0, d.find(' '));
}

class Base : public virtual asyncio::BaseProtocol {
 public:
  std::vector<std::string> events;
  asyncio::Future<void> lost = asyncio::get_running_loop().create_future<void>();
  void connection_lost(std::exception_ptr exc) override {
    events.push_back("connection_lost " + describe(exc));
    lost.set_result();
  }
};

class DataFails : public Base, public asyncio::Protocol {
 public:
  void data_received(std::string_view) override {
    events.push_back("data_received");
    throw std::invalid_argument("bad data");
  }
  bool eof_received() override {
    events.push_back("eof_received");
    return false;
  }
};

class EofFails : public Base, public asyncio::Protocol {
 public:
  void data_received(std::string_view) override { events.push_back("data_received"); }
  bool eof_received() override {
    events.push_back("eof_received");
    throw std::runtime_error("eof");
  }
};

class EmptyBuffer : public Base, public asyncio::BufferedProtocol {
 public:
  std::span<char> get_buffer(std::ptrdiff_t) override {
    events.push_back("get_buffer");
    return {};
  }
  void buffer_updated(std::size_t) override { events.push_back("buffer_updated"); }
};

class Sender : public asyncio::Protocol {
 public:
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    auto transport = std::dynamic_pointer_cast<asyncio::Transport>(t);
    transport->write("data");
    transport->write_eof();
  }
};

std::vector<std::string> reports;

template <class P>
Coro<> run(const char* name, int port) {
  auto [transport, proto] = co_await asyncio::get_running_loop().create_connection(
      [] { return std::make_shared<P>(); }, "127.0.0.1", port);
  co_await proto->lost;
  trace::print(name, str_list(proto->events));
  trace::print("  handler:", str_list(reports));
  trace::print("  is_closing:", transport->is_closing());
  reports.clear();
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  loop.set_exception_handler([](asyncio::EventLoop&, const asyncio::ExceptionContext& ctx) {
    reports.push_back(ctx.message + " / " + type_name(ctx.exception) +
                      " / transport given: " + (ctx.transport ? "True" : "False") +
                      " / protocol given: " + (ctx.protocol ? "True" : "False"));
  });
  auto server =
      co_await loop.create_server([] { return std::make_shared<Sender>(); }, "127.0.0.1", 0);
  int port = port_of(*server);
  co_await run<DataFails>("DataFails", port);
  co_await run<EofFails>("EofFails", port);
  co_await run<EmptyBuffer>("EmptyBuffer", port);
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
