// Mirrors CPython test_ssl.TestSSL.test_create_connection_ssl_failed_certificate and
// test_sslproto.BaseStartTLS.test_start_tls_client_corrupted_ssl: a refused certificate
// raises ssl.SSLCertVerificationError from create_connection (unknown issuer, wrong host),
// the server side is torn down without bothering the exception handler, and an IP address
// is checked against the certificate's IP entries.
#include <asyncio/asyncio.hpp>

#include "net_trace.hpp"
#include "tls_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;
using namespace net_trace;
using namespace tls_trace;
namespace ssl = asyncio::ssl;

int server_made = 0;

class Server : public asyncio::Protocol {
 public:
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    ++server_made;
    std::dynamic_pointer_cast<asyncio::Transport>(t)->write("hi");
  }
};

class Client : public asyncio::Protocol {
 public:
  asyncio::Future<std::string> got = asyncio::get_running_loop().create_future<std::string>();
  void data_received(std::string_view data) override {
    if (!got.done()) got.set_result(std::string(data));
  }
};

Coro<> attempt(asyncio::EventLoop& loop, int port, std::string host,
               std::shared_ptr<ssl::SSLContext> ctx,
               std::optional<std::string> server_hostname = std::nullopt) {
  asyncio::ConnectionOptions options;
  options.ssl = ctx;
  options.server_hostname = server_hostname;
  auto factory = [] { return std::make_shared<Client>(); };
  std::pair<std::shared_ptr<asyncio::Transport>, std::shared_ptr<Client>> made;
  try {
    made = co_await loop.create_connection(factory, host, port, options);
  } catch (const std::exception& error) {
    const auto* e = dynamic_cast<const ssl::SSLCertVerificationError*>(&error);
    if (e == nullptr) throw;  // Python's except clause lets anything else through too
    trace::print("  SSLCertVerificationError: library=" + e->library + " reason=" + e->reason);
    trace::print("  verify_code=" + std::to_string(e->verify_code) +
                 " verify_message=" + e->verify_message);
    // isinstance(e, OSError), asked of the object thrown.
    const auto* os_error = dynamic_cast<const asyncio::OSError*>(&error);
    trace::print("  is an OSError:", os_error != nullptr,
                 "errno:", os_error != nullptr ? std::to_string(os_error->code().value()) : "None");
    co_return;
  }
  std::string got = co_await made.second->got;
  trace::print("  connected, got", "b'" + got + "'");
  made.first->close();
}

Coro<> amain() {
  auto& loop = asyncio::get_running_loop();
  std::vector<std::string> handled;
  loop.set_exception_handler([&](asyncio::EventLoop&, const asyncio::ExceptionContext& c) {
    handled.push_back(c.message);
  });
  asyncio::ServerOptions server_options;
  server_options.ssl = server_context();
  auto factory = [] { return std::make_shared<Server>(); };
  auto server = co_await loop.create_server(factory, "127.0.0.1", 0, server_options);
  int port = port_of(*server);

  trace::print("system CAs only:");
  co_await attempt(loop, port, "127.0.0.1", ssl::create_default_context());
  trace::print("wrong server_hostname:");
  co_await attempt(loop, port, "127.0.0.1", client_context(), "wrong.example");
  trace::print("an IP address the certificate names:");
  co_await attempt(loop, port, "127.0.0.1", client_context());
  trace::print("no hostname check with server_hostname='':");
  co_await attempt(loop, port, "127.0.0.1", client_context(), "");

  server->close();
  co_await server->wait_closed();
  trace::print("server connection_made calls:", server_made);
  trace::print("exception handler calls:", proc_trace::str_list(handled));
}

int main() {
  asyncio::run(amain());
}
