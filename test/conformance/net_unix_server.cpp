// Mirrors CPython test_unix_events.SelectorEventLoopUnixSocketTests
// (test_create_unix_server_existing_path_sock, test_create_unix_server_existing_path_nonsock)
// and test_streams.StreamTests.test_start_unix_server / test_open_unix_connection: a stale
// socket file left at the path is replaced; a regular file there is not (EADDRINUSE);
// streams work over the Unix socket; the client's peername is the path.
#include <asyncio/asyncio.hpp>

#include <sys/stat.h>
#include <sys/un.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using namespace net_trace;
using proc_trace::bytes_repr;

Coro<void> handle(std::shared_ptr<StreamReader> reader, std::shared_ptr<StreamWriter> writer) {
  std::string line = co_await reader->readline();
  writer->write("unix " + line);
  co_await writer->drain();
  writer->close();
  co_await writer->wait_closed();
}

void bind_and_close(const std::string& path) {
  int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  path.copy(sun.sun_path, sizeof sun.sun_path - 1);
  ::bind(s, reinterpret_cast<sockaddr*>(&sun), sizeof sun);
  ::close(s);
}

Coro<> amain() {
  char tmpl[] = "/tmp/net_unix_server.XXXXXX";
  std::string tmp = ::mkdtemp(tmpl);
  std::string path = tmp + "/sock";
  bind_and_close(path);
  trace::print("stale socket file exists:", std::filesystem::exists(path));
  auto server = co_await asyncio::start_unix_server(handle, path);
  trace::print("serving on the path:", server->addresses().at(0).host == path);
  auto [reader, writer] = co_await asyncio::open_unix_connection(path);
  std::any peer = writer->get_extra_info("peername");
  std::any sock = writer->get_extra_info("sockname");
  trace::print("client peername is the path:", std::any_cast<asyncio::SockAddr>(peer).host == path);
  trace::print("client sockname:", std::any_cast<asyncio::SockAddr>(sock).repr());
  writer->write("hello\n");
  trace::print("reply:", bytes_repr(co_await reader->readline()));
  trace::print("then EOF:", bytes_repr(co_await reader->read()));
  writer->close();
  co_await writer->wait_closed();
  server->close();
  co_await server->wait_closed();

  std::string other = tmp + "/file";
  std::ofstream(other).close();
  try {
    co_await asyncio::start_unix_server(handle, other);
  } catch (const asyncio::OSError& e) {
    trace::print("regular file at the path:", trace::type_name(e), e.code().value() == EADDRINUSE);
  }
  trace::print("regular file kept:", std::filesystem::is_regular_file(other));

  try {
    co_await asyncio::open_unix_connection(tmp + "/missing");
  } catch (const asyncio::OSError& e) {
    trace::print("no such path:", trace::type_name(e), e.code().value() == ENOENT);
  }
  std::filesystem::remove_all(tmp);
}

int main() {
  asyncio::run(amain());
}
