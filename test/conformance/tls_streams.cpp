// Mirrors CPython test_streams.StreamTests.test_open_connection / test_start_server with
// ssl (test_ssl.TestSSL.test_create_server_ssl_1's stream form): lines and a 1 MiB block
// go both ways over TLS with drain() honouring flow control; at EOF the server's reader sees
// b'' and wait_closed() finishes on both sides.
#include <asyncio/asyncio.hpp>

#include <sys/socket.h>

#include <algorithm>

#include "net_trace.hpp"
#include "tls_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using namespace tls_trace;

std::string make_block() {
  std::string block;
  for (int i = 0; i < 256 * 4096; ++i) block.push_back(static_cast<char>(i % 256));
  return block;
}
const std::string BLOCK = make_block();

Coro<> amain() {
  auto server_ctx = server_context();
  auto client_ctx = client_context();
  auto done = asyncio::get_running_loop().create_future<void>();

  auto handle = [&](std::shared_ptr<asyncio::StreamReader> reader,
                    std::shared_ptr<asyncio::StreamWriter> writer) -> Coro<void> {
    auto ctx = std::any_cast<std::shared_ptr<asyncio::ssl::SSLContext>>(
        writer->get_extra_info("sslcontext"));
    trace::print("server: over TLS:", ctx == server_ctx);
    std::string line = co_await reader->readline();
    trace::print("server: line", bytes_repr(line));
    writer->write(upper(line));
    std::string block = co_await reader->readexactly(BLOCK.size());
    trace::print("server: block intact:", block == BLOCK);
    std::reverse(block.begin(), block.end());
    writer->write(block);
    co_await writer->drain();
    std::string rest = co_await reader->read();
    trace::print("server: read at EOF:", bytes_repr(rest));
    writer->close();
    co_await writer->wait_closed();
    done.set_result();
  };
  asyncio::ServerOptions server_options;
  server_options.ssl = server_ctx;
  auto server = co_await asyncio::start_server(handle, "127.0.0.1", 0, server_options);
  asyncio::ConnectionOptions options;
  options.ssl = client_ctx;
  options.family = AF_INET;
  auto [reader, writer] = co_await asyncio::open_connection("localhost", port_of(*server), options);
  trace::print("client: can_write_eof:", writer->can_write_eof());
  writer->write("hello tls\n");
  std::string line = co_await reader->readline();
  trace::print("client: line", bytes_repr(line));
  writer->write(BLOCK);
  co_await writer->drain();
  std::string back = co_await reader->readexactly(BLOCK.size());
  std::string reversed(BLOCK.rbegin(), BLOCK.rend());
  trace::print("client: block reversed:", back == reversed);
  try {
    writer->write_eof();
  } catch (const std::logic_error&) {
    trace::print("client: write_eof: NotImplementedError");
  }
  writer->close();
  co_await writer->wait_closed();
  co_await done;
  std::string after = co_await reader->read();
  trace::print("client: read after close:", bytes_repr(after));
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
