// An echo server and client with the streams API: the port of echo_streams.py.
#include <asyncio/asyncio.hpp>

#include <cstdio>
#include <string>

using asyncio::Coro;

std::string strip(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

Coro<> handle_echo(std::shared_ptr<asyncio::StreamReader> reader,
                   std::shared_ptr<asyncio::StreamWriter> writer) {
  auto addr = std::any_cast<asyncio::SockAddr>(writer->get_extra_info("peername"));
  std::printf("server: client from %s\n", addr.host.c_str());
  while (true) {  // while line := await reader.readline()
    std::string line = co_await reader->readline();
    if (line.empty()) break;
    std::printf("server: echoing %s\n", strip(line).c_str());
    writer->write(line);
    co_await writer->drain();
  }
  std::printf("server: client done\n");
  writer->close();
  co_await writer->wait_closed();
}

Coro<> amain() {
  auto server = co_await asyncio::start_server(handle_echo, "127.0.0.1", 0);
  int port = server->addresses().at(0).port;
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
  for (std::string message : {"first line", "second line"}) {
    writer->write(message + "\n");
    co_await writer->drain();
    std::string line = co_await reader->readline();
    std::printf("client: got back %s\n", strip(line).c_str());
  }
  writer->write_eof();
  std::string rest = co_await reader->read();
  std::printf("client: server closed: %s\n", rest.empty() ? "True" : "False");
  writer->close();
  co_await writer->wait_closed();
  server->close();
  co_await server->wait_closed();
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  asyncio::run(amain());
}
