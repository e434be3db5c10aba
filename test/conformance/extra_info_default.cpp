// Mirrors CPython test_transports.TransportTests.test_get_extra_info, on a real connection
// and on the StreamWriter (test_streams' writer.get_extra_info): a known key gives its value,
// an unknown one None, or the default when one is given; a default does not replace a value.
// The typed form, get_extra_info<T>(name[, default]), is what C++ reads them with.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::SockAddr;

Coro<> amain() {
  auto on_client = [](std::shared_ptr<asyncio::StreamReader>,
                      std::shared_ptr<asyncio::StreamWriter> writer) -> Coro<> {
    writer->close();
    co_return;
  };
  auto server = co_await asyncio::start_server(on_client, "127.0.0.1", 0);
  int port = net_trace::port_of(*server);
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
  auto transport = writer->transport();
  trace::print("peername port is the server's:",
               transport->get_extra_info<SockAddr>("peername")->port == port);
  trace::print("unknown key:", transport->get_extra_info("no such key").has_value() ? "?" : "None");
  trace::print("unknown key, default:",
               transport->get_extra_info<std::string>("no such key", "fallback"));
  std::any known = transport->get_extra_info("peername", std::string("fallback"));
  trace::print("known key, default:",
               std::any_cast<SockAddr>(known) == transport->get_extra_info<SockAddr>("peername"));
  trace::print("writer, unknown key:",
               writer->get_extra_info<int>("no such key").has_value() ? "?" : "None");
  trace::print("writer, unknown key, default:", writer->get_extra_info<int>("no such key", -1));
  trace::print("writer, sockname host:",
               writer->get_extra_info<SockAddr>("sockname", SockAddr{0, "?", 0}).host);
  co_await net_trace::close_writer_and_server(writer, server);
}

int main() {
  asyncio::run(amain());
}
