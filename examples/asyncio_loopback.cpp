// asyncio_loopback.py ported line for line: the worked example of
// docs/02-porting-from-python.md. That program comes from MicroPython's tests
// (tests/net_hosted/asyncio_loopback.py, MIT licence, copyright Damien P. George; the notice
// and the four edits it needed are in asyncio_loopback.py's header). This port is as free to
// copy as the original, under the same MIT terms.
#include <asyncio/asyncio.hpp>

#include <cassert>
#include <cstdio>
#include <string>

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;

void print(const std::string& line) {
  std::printf("%s\n", line.c_str());
}

// Test network loopback behaviour

// The original prints SKIP on platforms without TCP/IP loopback, and when asyncio cannot be
// imported. This library runs on Linux only, which has both.

Coro<> client(std::string host, int port) {
  print("client open_connection to " + host);  // EDIT 3 leaves the port out
  auto [reader, writer] = co_await asyncio::open_connection(host, port);

  std::string data_in(100, 'A');

  print("client writing");
  writer->write(data_in);
  co_await writer->drain();

  co_await asyncio::sleep(0.2);  // EDIT 4

  print("client reading");
  std::string data = co_await reader->readexactly(100);
  print("client got " + std::to_string(data.size()) + " bytes");

  assert(data_in == data);

  print("client closing");

  writer->close();
  co_await writer->wait_closed();

  print("client closed");
}

Coro<> echo_handler(std::shared_ptr<StreamReader> reader, std::shared_ptr<StreamWriter> writer) {
  print("handler reading");
  co_await asyncio::sleep(0.1);
  std::string data = co_await reader->readexactly(100);
  print("handler got " + std::to_string(data.size()) + " bytes");

  print("handler writing");
  writer->write(data);
  co_await writer->drain();

  print("handler closing");

  writer->close();
  co_await writer->wait_closed();

  print("handler closed");
}

Coro<> test(std::string host, int port) {
  print("create server on " + host + ":" + std::to_string(port));
  auto server = co_await asyncio::start_server(echo_handler, host, port);

  co_await server->run([&]() -> Coro<> {  // async with server:
    print("server started");
    co_await client("127.0.0.1", server->addresses().at(0).port);  // EDIT 2
  });
  print("server closed");
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  asyncio::run(test("127.0.0.1", 0));  // EDIT 1
}
