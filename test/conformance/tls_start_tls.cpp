// Mirrors CPython test_sslproto.BaseStartTLS.test_start_tls_client_reg_proto_1 and
// test_streams' StreamWriter.start_tls (3.11): a plain connection agrees on STARTTLS, both
// sides upgrade in place (server side for the writer start_server made), the same protocol
// keeps receiving, and the transports report TLS only afterwards.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "tls_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using namespace tls_trace;
using Ctx = std::shared_ptr<asyncio::ssl::SSLContext>;

Coro<> amain() {
  auto server_ctx = server_context();
  auto client_ctx = client_context();
  auto done = asyncio::get_running_loop().create_future<void>();

  auto handle = [&](std::shared_ptr<asyncio::StreamReader> reader,
                    std::shared_ptr<asyncio::StreamWriter> writer) -> Coro<void> {
    std::string line = co_await reader->readline();
    trace::print("server: got", bytes_repr(line));
    writer->write("GO AHEAD\n");
    co_await writer->start_tls(server_ctx);
    auto ctx = std::any_cast<Ctx>(writer->get_extra_info("sslcontext"));
    trace::print("server: upgraded:", ctx == server_ctx);
    line = co_await reader->readline();
    trace::print("server: got", bytes_repr(line));
    writer->write("secret reply\n");
    std::string rest = co_await reader->read();
    trace::print("server: got", bytes_repr(rest));
    writer->close();
    co_await writer->wait_closed();
    done.set_result();
  };
  auto server = co_await asyncio::start_server(handle, "127.0.0.1", 0);
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port_of(*server));
  bool before = writer->get_extra_info("sslcontext").has_value();
  trace::print("client: TLS before:", before ? "a context" : "None");
  writer->write("STARTTLS\n");
  std::string line = co_await reader->readline();
  trace::print("client: got", bytes_repr(line));
  asyncio::StartTLSOptions options;
  options.server_hostname = "localhost";
  co_await writer->start_tls(client_ctx, options);
  auto ctx = std::any_cast<Ctx>(writer->get_extra_info("sslcontext"));
  trace::print("client: TLS after:", ctx == client_ctx);
  auto cipher =
      std::any_cast<std::tuple<std::string, std::string, int>>(writer->get_extra_info("cipher"));
  trace::print("client: cipher protocol:", std::get<1>(cipher));
  writer->write("secret\n");
  line = co_await reader->readline();
  trace::print("client: got", bytes_repr(line));
  writer->close();
  co_await writer->wait_closed();
  co_await done;
  server->close();
  co_await server->wait_closed();
}

int main() {
  asyncio::run(amain());
}
