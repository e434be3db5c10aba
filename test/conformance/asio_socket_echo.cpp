// Mirrors CPython test_sock_lowlevel.BaseSockTestsMixin.test_sock_client_ops and
// test_sock_client_fail: a client socket connects, sends, receives its echo and then EOF; a
// connect to a port nobody listens on raises ConnectionRefusedError. The .py file uses
// loop.sock_connect/sock_sendall/sock_recv; here boost::asio::ip::tcp::socket's async_connect,
// async_write and async_read_some, through asyncio::use_future. The server is an asyncio
// streams server on both sides.
//
// The refused connect's text differs and is not traced: CPython's names the address
// ("[Errno 111] Connect call failed ('127.0.0.1', port)"), while an Asio operation reports
// only its error code, so use_future raises "[Errno 111] Connection refused".
#include <asyncio/asio_interop.hpp>
#include <asyncio/asyncio.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <string>

#include "net_trace.hpp"
#include "trace.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;
using asyncio::Coro;
using asyncio::use_future;
using namespace net_trace;

Coro<> echo_once(std::shared_ptr<asyncio::StreamReader> reader,
                 std::shared_ptr<asyncio::StreamWriter> writer) {
  std::string data = co_await reader->read(100);
  trace::print("server: echoing", data);
  writer->write(data);
  co_await writer->drain();
  writer->close();
  co_await writer->wait_closed();
}

tcp::endpoint local(int port) {
  return {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)};
}

Coro<> amain() {
  auto& io = asyncio::get_running_loop().io_context();
  tcp::socket sock(io);
  try {
    co_await sock.async_connect(local(closed_port()), use_future);
  } catch (const asyncio::OSError& e) {
    trace::print("refused:", trace::type_name(e), e.code().value() == ECONNREFUSED);
  }
  sock.close();

  auto server = co_await asyncio::start_server(echo_once, "127.0.0.1", 0);
  int port = port_of(*server);
  tcp::socket client(io);
  co_await client.async_connect(local(port), use_future);
  trace::print("client: connected");
  co_await asio::async_write(client, asio::buffer("ping", 4), use_future);
  std::string reply(4, '\0');
  co_await asio::async_read(client, asio::buffer(reply), use_future);
  trace::print("client: echoed", reply);
  char more[100];
  bool eof = false;
  try {
    co_await client.async_read_some(asio::buffer(more), use_future);
  } catch (const asyncio::OSError& e) {  // Asio's end of file, where sock_recv returns b""
    eof = e.code().value() == asio::error::eof;
  }
  trace::print("client: then EOF:", eof);
  client.close();
  server->close();
  co_await server->wait_closed();
  trace::print("server closed");
}

int main() {
  asyncio::run(amain());
}
