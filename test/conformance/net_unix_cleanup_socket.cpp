// Mirrors CPython test_server.UnixServerCleanupTests (test_unix_server_addr_cleanup,
// _sock_cleanup, _cleanup_gone, _cleanup_replaced, _cleanup_prevented): closing a Unix server
// removes its socket file (3.13's cleanup_socket), also for a socket handed in, but not a
// file that replaced it, and not with cleanup_socket=False.
#include <asyncio/asyncio.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cstdlib>
#include <filesystem>

#include "trace.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
namespace fs = std::filesystem;

Coro<void> serve(std::shared_ptr<StreamReader>, std::shared_ptr<StreamWriter>) {
  co_return;
}

int bound_socket(const std::string& path) {
  int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  path.copy(sun.sun_path, sizeof sun.sun_path - 1);
  ::bind(sock, reinterpret_cast<sockaddr*>(&sun), sizeof sun);
  return sock;
}

asyncio::ServerOptions with_sock(int sock) {
  asyncio::ServerOptions options;
  options.sock = sock;
  return options;
}

Coro<> amain() {
  char tmpl[] = "/tmp/net_unix_cleanup.XXXXXX";
  std::string tmp = ::mkdtemp(tmpl);
  std::string addr = tmp + "/sock";
  auto srv = co_await asyncio::start_unix_server(serve, addr);
  trace::print("bound:", fs::exists(addr));
  srv->close();
  trace::print("addr_cleanup, exists after close:", fs::exists(addr));

  int sock = bound_socket(addr);
  srv = co_await asyncio::start_unix_server(serve, addr, with_sock(sock));
  srv->close();
  trace::print("sock_cleanup, exists after close:", fs::exists(addr));

  sock = bound_socket(addr);
  srv = co_await asyncio::start_unix_server(serve, addr, with_sock(sock));
  fs::remove(addr);
  srv->close();
  trace::print("cleanup_gone, exists after close:", fs::exists(addr));

  srv = co_await asyncio::start_unix_server(serve, addr);
  fs::remove(addr);
  int other = bound_socket(addr);
  srv->close();
  trace::print("cleanup_replaced, exists after close:", fs::exists(addr));
  ::close(other);
  fs::remove(addr);

  asyncio::ServerOptions keep;
  keep.cleanup_socket = false;
  srv = co_await asyncio::start_unix_server(serve, addr, keep);
  srv->close();
  trace::print("cleanup_prevented, exists after close:", fs::exists(addr));
  fs::remove_all(tmp);
}

int main() {
  asyncio::run(amain());
}
