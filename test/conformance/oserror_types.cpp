// Mirrors CPython test_pep3151.HierarchyTest.test_try_except and test_errno_mapping, raised by
// real failures: a refused port, an address in use, a missing program, a program that is not
// executable, a cwd that is a file or missing, a signal after the exit, a reset peer, an
// unresolvable .invalid name and a missing unix socket. Each prints type(e).__name__, e.errno
// and str(e); a wait_for timeout is caught by `except OSError` (TimeoutError is one).
// 3.13 words the bind error's tail differently ("[errno 98] address ..."): the pair prints the
// text before it, and test_oserror.cpp checks the whole, in 3.13's words as the library has it.
#include <asyncio/asyncio.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "net_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using net_trace::closed_port;
using net_trace::port_of;

using Hide = std::vector<std::pair<std::string, std::string>>;

std::string replace_all(std::string text, const std::string& old, const std::string& with) {
  for (auto at = text.find(old); at != std::string::npos; at = text.find(old, at + with.size()))
    text.replace(at, old.size(), with);
  return text;
}

std::string errno_repr(const asyncio::OSError& e) {
  return e.has_errno() ? std::to_string(e.code().value()) : "None";
}

void show(const std::string& what, const asyncio::OSError& e, const Hide& hide = {}) {
  std::string text = e.what();
  for (const auto& [old, with] : hide) text = replace_all(text, old, with);
  trace::print(what + ": " + trace::type_name(e) + " errno=" + errno_repr(e) + " " +
               proc_trace::repr(text));
}

Coro<> refused() {
  int port = closed_port();
  try {
    co_await asyncio::open_connection("127.0.0.1", port);
  } catch (const asyncio::ConnectionRefusedError& e) {
    show("refused port", e, {{std::to_string(port), "PORT"}});
  }
}

Coro<> address_in_use() {
  auto ignore = [](std::shared_ptr<asyncio::StreamReader>,
                   std::shared_ptr<asyncio::StreamWriter>) -> Coro<> { co_return; };
  auto server = co_await asyncio::start_server(ignore, "127.0.0.1", 0);
  int port = port_of(*server);
  try {
    co_await asyncio::start_server(ignore, "127.0.0.1", port);
  } catch (const asyncio::OSError& e) {
    std::string text = e.what();
    std::string head = replace_all(text.substr(0, text.find(": ")), std::to_string(port), "PORT");
    trace::print("address in use: " + trace::type_name(e) + " errno=" + errno_repr(e) + " " +
                 proc_trace::repr(head));
  }
  server->close();
  co_await server->wait_closed();
}

Coro<> spawn(std::string what, std::string program, std::string tmp,
             std::optional<std::string> cwd = std::nullopt) {
  try {
    asyncio::SubprocessOptions options;
    options.cwd = std::move(cwd);
    auto proc = co_await asyncio::create_subprocess_exec(program, options);
    co_await proc.wait();
  } catch (const asyncio::OSError& e) {
    show(what, e, {{tmp, "TMP"}});
  }
}

Coro<> after_exit() {
  auto proc = co_await asyncio::create_subprocess_exec("true");
  co_await proc.wait();
  try {
    proc.kill();
  } catch (const asyncio::ProcessLookupError& e) {
    show("kill after exit", e);
  }
}

Coro<> reset_peer() {
  auto accepted =
      asyncio::get_running_loop().create_future<std::shared_ptr<asyncio::StreamWriter>>();
  auto on_client = [accepted](std::shared_ptr<asyncio::StreamReader>,
                              std::shared_ptr<asyncio::StreamWriter> writer) mutable -> Coro<> {
    accepted.set_result(writer);
    co_return;
  };
  auto server = co_await asyncio::start_server(on_client, "127.0.0.1", 0);
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port_of(*server));
  auto peer = co_await accepted;
  int sock = std::any_cast<int>(peer->get_extra_info("socket"));
  linger lg{1, 0};
  ::setsockopt(sock, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  peer->transport()->abort();
  try {
    co_await reader->read(100);
  } catch (const asyncio::ConnectionResetError& e) {
    show("reset peer", e);
  }
  writer->close();
  server->close();
  co_await server->wait_closed();
}

Coro<> unresolvable() {
  try {
    co_await asyncio::open_connection("no-such-host.invalid", 80);
  } catch (const asyncio::gaierror& e) {
    const asyncio::OSError* os_error = &e;  // isinstance(e, OSError)
    trace::print("unresolvable: " + trace::type_name(e) +
                     " is OSError=" + proc_trace::py_bool(os_error != nullptr),
                 "errno<0=" + proc_trace::py_bool(e.code().value() < 0) + " matches gai_strerror=" +
                     proc_trace::py_bool(std::string(e.what()).starts_with("[Errno -")));
  }
}

Coro<> missing_unix_socket(std::string tmp) {
  try {
    co_await asyncio::open_unix_connection(tmp + "/missing");
  } catch (const asyncio::FileNotFoundError& e) {
    show("missing unix socket", e, {{tmp, "TMP"}});
  }
}

Coro<> timeout_is_oserror() {
  try {
    co_await asyncio::wait_for(asyncio::sleep(3600), 0);
  } catch (const asyncio::OSError& e) {
    show("wait_for timeout", e);
  }
}

Coro<> amain() {
  proc_trace::TemporaryDirectory dir("oserror");  // with tempfile.TemporaryDirectory() as tmp:
  std::string tmp = dir.path;
  std::string plain = tmp + "/plain";
  std::ofstream(plain) << "#!/bin/sh\n";
  ::chmod(plain.c_str(), 0644);
  co_await refused();
  co_await address_in_use();
  co_await spawn("missing program", "no-such-program-oserror", tmp);
  co_await spawn("not executable", plain, tmp);
  co_await spawn("cwd is a file", "true", tmp, plain);
  co_await spawn("cwd missing", "true", tmp, tmp + "/missing");
  co_await after_exit();
  co_await reset_peer();
  co_await unresolvable();
  co_await missing_unix_socket(tmp);
  co_await timeout_is_oserror();
}

int main() {
  asyncio::run(amain());
}
