// A TLS echo server and client with asyncio streams: the port of tls_echo.py, line for line.
// Certificates: a directory with ca.pem, server.pem and server.key (test/tls/make_certs.sh
// makes one), named by ASYNCIO_TEST_CERTS.
#include <asyncio/asyncio.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace ssl = asyncio::ssl;
using asyncio::Coro;

const std::string CERTS =
    std::getenv("ASYNCIO_TEST_CERTS") ? std::getenv("ASYNCIO_TEST_CERTS") : ".";

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

Coro<> handle(std::shared_ptr<asyncio::StreamReader> reader,
              std::shared_ptr<asyncio::StreamWriter> writer) {
  bool has_peer_cert = writer->get_extra_info("peercert").has_value();
  std::printf("server: TLS connection, client certificate: %s\n", has_peer_cert ? "yes" : "None");
  while (auto line = co_await reader->anext()) {  // async for line in reader
    writer->write(upper(*line));
    co_await writer->drain();
  }
  writer->close();
  co_await writer->wait_closed();
}

Coro<> amain() {
  auto server_ctx = ssl::create_default_context(ssl::Purpose::CLIENT_AUTH);
  server_ctx->use_certificate_chain_file(CERTS + "/server.pem");
  server_ctx->use_private_key_file(CERTS + "/server.key", ssl::SSLContext::pem);
  asyncio::ServerOptions server_options;
  server_options.ssl = server_ctx;
  auto server = co_await asyncio::start_server(handle, "127.0.0.1", 0, server_options);
  int port = server->addresses().at(0).port;

  asyncio::ConnectionOptions options;
  options.ssl = ssl::create_default_context(ssl::Purpose::SERVER_AUTH, CERTS + "/ca.pem");
  options.server_hostname = "localhost";
  auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port, options);
  auto cert = std::any_cast<ssl::PeerCert>(writer->get_extra_info("peercert"));
  for (auto& [key, value] : cert.subject)
    if (key == "commonName") std::printf("client: server certificate for %s\n", value.c_str());
  auto cipher =
      std::any_cast<std::tuple<std::string, std::string, int>>(writer->get_extra_info("cipher"));
  std::printf("client: protocol %s\n", std::get<1>(cipher).c_str());
  for (std::string word : {"hello", "tls"}) {
    writer->write(word + "\n");
    std::string line = co_await reader->readline();
    line.pop_back();
    std::printf("client: sent %s got %s\n", word.c_str(), line.c_str());
  }
  writer->close();
  co_await writer->wait_closed();
  server->close();
  co_await server->wait_closed();
  std::printf("done\n");
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  asyncio::run(amain());
}
