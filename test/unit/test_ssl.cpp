// TLS over the loop's transports: ports of CPython's Lib/test/test_asyncio/test_ssl.py
// (TestSSL: buffered protocols, large transfers with flow control, client certificates,
// aborts, failed handshakes) and test_sslproto.py, against certificates CTest makes for the
// run (ASYNCIO_TEST_CERTS, test/tls/make_certs.sh).
#include <asyncio/asyncio.hpp>
#include <catch2/catch.hpp>

#include "unit/loop_support.hpp"
#include "unit/net_support.hpp"
#include "unit/tls_support.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

using asyncio::Coro;
using asyncio::EventLoop;
namespace ssl = asyncio::ssl;
using Ctx = std::shared_ptr<ssl::SSLContext>;
using test_support::cert;
using test_support::client_context;
using test_support::open_fd_count;
using test_support::run;
using test_support::server_context;
using test_support::wait;

namespace {

// Records everything a connection does; echoes when asked to.
class Peer : public asyncio::Protocol {
 public:
  explicit Peer(EventLoop& loop, bool echo = false)
      : echo_(echo), made(loop.create_future<void>()), lost(loop.create_future<void>()) {}
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport = std::dynamic_pointer_cast<asyncio::Transport>(t);
    events.push_back("made");
    made.set_result();
  }
  void data_received(std::string_view d) override {
    data.append(d);
    if (echo_) transport->write(d);
    if (want && data.size() >= want && !enough.done()) enough.set_result();
  }
  bool eof_received() override {
    events.push_back("eof");
    return false;
  }
  void pause_writing() override { events.push_back("pause_writing"); }
  void resume_writing() override { events.push_back("resume_writing"); }
  void connection_lost(std::exception_ptr e) override {
    events.push_back("lost");
    exc = e;
    lost.set_result();
  }
  void expect(EventLoop& loop, std::size_t n) {
    want = n;
    enough = loop.create_future<void>();
    if (data.size() >= n) enough.set_result();
  }

  bool echo_;
  std::shared_ptr<asyncio::Transport> transport;
  std::string data;
  std::vector<std::string> events;
  std::exception_ptr exc;
  asyncio::Future<void> made;
  asyncio::Future<void> lost;
  std::size_t want = 0;
  asyncio::Future<void> enough;
};

// A server whose accepted protocols the test can see.
struct Served {
  std::shared_ptr<asyncio::Server> server;
  std::vector<std::shared_ptr<Peer>> peers;
  int port = 0;
};

std::unique_ptr<Served> serve(EventLoop& loop, Ctx ctx, bool echo = true) {
  auto s = std::make_unique<Served>();
  Served* raw = s.get();
  asyncio::ServerOptions options;
  options.ssl = std::move(ctx);
  s->server = loop.run_until_complete(loop.create_server(
      [&loop, raw, echo] {
        raw->peers.push_back(std::make_shared<Peer>(loop, echo));
        return raw->peers.back();
      },
      "127.0.0.1", 0, options));
  s->port = s->server->addresses().at(0).port;
  return s;
}

std::pair<std::shared_ptr<asyncio::Transport>, std::shared_ptr<Peer>> connect(
    EventLoop& loop, int port, Ctx ctx, std::string hostname = "localhost") {
  asyncio::ConnectionOptions options;
  options.ssl = std::move(ctx);
  options.server_hostname = std::move(hostname);
  return loop.run_until_complete(loop.create_connection(
      [&loop] { return std::make_shared<Peer>(loop); }, "127.0.0.1", port, options));
}

void shut(EventLoop& loop, Served& s) {
  s.server->close();
  run(loop, s.server->wait_closed());
}

std::string pattern(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 7 + i / 4096) % 251);
  return out;
}

// Collects what reaches the loop's exception handler.
std::shared_ptr<std::vector<std::string>> capture_handler(EventLoop& loop) {
  auto seen = std::make_shared<std::vector<std::string>>();
  loop.set_exception_handler(
      [seen](EventLoop&, const asyncio::ExceptionContext& c) { seen->push_back(c.message); });
  return seen;
}

// A BufferedProtocol that collects into its own small buffer.
class Collector : public asyncio::BufferedProtocol {
 public:
  explicit Collector(EventLoop& loop) : done(loop.create_future<void>()) {}
  std::span<char> get_buffer(std::ptrdiff_t) override { return buf_; }
  void buffer_updated(std::size_t n) override {
    ++calls;
    data.append(buf_.data(), n);
    if (data.size() >= want && !done.done()) done.set_result();
  }
  std::array<char, 1000> buf_{};
  std::string data;
  std::size_t want = 0;
  int calls = 0;
  asyncio::Future<void> done;
};

}  // namespace

TEST_CASE(
    "test_ssl.TestSSL.test_create_connection_ssl_1 with a slow reader: the application "
    "is paused over 512 KiB and resumed once drained",
    "[tls][net]") {
  EventLoop loop;
  auto s = serve(loop, server_context(), false);
  auto [transport, client] = connect(loop, s->port, client_context());
  wait(loop, s->peers.at(0)->made);
  auto& server_side = *s->peers[0];
  server_side.transport->pause_reading();  // the TCP window fills up behind it
  std::string chunk = pattern(64 * 1024);
  std::string sent;
  for (int i = 0; i < 1024 && client->events.back() != "pause_writing"; ++i) {
    transport->write(chunk);
    sent += chunk;
    for (int turn = 0; turn < 3; ++turn) test_support::run_once(loop);
  }
  REQUIRE(client->events.back() == "pause_writing");
  CHECK(transport->get_write_buffer_size() >= 512 * 1024);
  server_side.expect(loop, sent.size());
  server_side.transport->resume_reading();
  wait(loop, server_side.enough);
  CHECK(server_side.data == sent);
  CHECK(std::count(client->events.begin(), client->events.end(), "resume_writing") == 1);
  CHECK(transport->get_write_buffer_size() == 0);
  transport->close();
  wait(loop, client->lost);
  CHECK(client->exc == nullptr);
  shut(loop, *s);
}

TEST_CASE(
    "test_ssl.TestSSL.test_create_connection_memory_leak / BufferedProtocol: get_buffer "
    "and buffer_updated carry the plaintext",
    "[tls][net]") {
  EventLoop loop;
  auto s = serve(loop, server_context());
  std::shared_ptr<Collector> collector;
  asyncio::ConnectionOptions options;
  options.ssl = client_context();
  options.server_hostname = "localhost";
  auto made = loop.run_until_complete(
      loop.create_connection([&] { return collector = std::make_shared<Collector>(loop); },
                             "127.0.0.1", s->port, options));
  std::string block = pattern(100 * 1000 + 7);
  collector->want = block.size();
  made.first->write(block);
  wait(loop, collector->done);
  CHECK(collector->data == block);
  CHECK(collector->calls >= 101);  // never more than the 1000-byte buffer at a time
  made.first->close();
  shut(loop, *s);
}

TEST_CASE("tls_abort_no_close_notify: test_ssl.TestSSL.test_connect_abort", "[tls][net]") {
  EventLoop loop;
  auto s = serve(loop, server_context(), false);
  auto [transport, client] = connect(loop, s->port, client_context());
  wait(loop, s->peers.at(0)->made);
  transport->write("dropped");
  transport->abort();
  CHECK(transport->is_closing());
  wait(loop, client->lost);
  CHECK(client->exc == nullptr);
  CHECK(client->events == std::vector<std::string>{"made", "lost"});
  auto& server_side = *s->peers.at(0);
  wait(loop, server_side.lost);
  CHECK(server_side.events == std::vector<std::string>{"made", "eof", "lost"});
  CHECK(server_side.exc == nullptr);
  shut(loop, *s);
}

TEST_CASE(
    "test_ssl.TestSSL.test_create_connection_ssl_failed_certificate: no fd leaks and no "
    "exception handler calls",
    "[tls][net]") {
  EventLoop loop;
  auto seen = capture_handler(loop);
  test_support::make_reactor(loop);
  int before = open_fd_count();
  auto s = serve(loop, server_context());
  for (int i = 0; i < 20; ++i) {
    asyncio::ConnectionOptions options;
    options.ssl = ssl::create_default_context();  // the system's CAs do not know ours
    CHECK_THROWS_AS(
        loop.run_until_complete(loop.create_connection(
            [&loop] { return std::make_shared<Peer>(loop); }, "127.0.0.1", s->port, options)),
        ssl::SSLCertVerificationError);
  }
  shut(loop, *s);  // waits until every server-side connection is gone
  CHECK(open_fd_count() == before);
  CHECK(seen->empty());
  for (auto& peer : s->peers) CHECK(peer->events.empty());  // never connection_made
}

TEST_CASE("test_ssl.TestSSL.test_create_server_ssl_verified: client certificates", "[tls][net]") {
  EventLoop loop;
  auto server_ctx = server_context();
  server_ctx->set_verify_mode(boost::asio::ssl::verify_peer |
                              boost::asio::ssl::verify_fail_if_no_peer_cert);
  server_ctx->load_verify_file(cert("ca.pem"));
  auto s = serve(loop, server_ctx);

  SECTION("a client with a certificate: the server sees it as peercert") {
    auto client_ctx = client_context();
    client_ctx->use_certificate_chain_file(cert("client.pem"));
    client_ctx->use_private_key_file(cert("client.key"), ssl::SSLContext::pem);
    auto [transport, client] = connect(loop, s->port, client_ctx);
    wait(loop, s->peers.at(0)->made);
    auto peercert =
        std::any_cast<ssl::PeerCert>(s->peers[0]->transport->get_extra_info("peercert"));
    REQUIRE(peercert.subject.size() == 1);
    CHECK(peercert.subject[0].first == "commonName");
    CHECK(peercert.subject[0].second == "asyncio-cpp test client");
    CHECK_FALSE(peercert.der.empty());
    transport->close();
    wait(loop, client->lost);
  }
  SECTION(
      "a client without one: as in CPython, the server's alert is never flushed, so the "
      "client sees a plain EOF") {
    // TLS 1.3 finishes the client's handshake first; the server then fails its own and
    // drops the connection without sending the alert (sslproto's _fatal_error).
    auto [transport, client] = connect(loop, s->port, client_context());
    wait(loop, client->lost);
    CHECK(client->events == std::vector<std::string>{"made", "eof", "lost"});
    CHECK(client->exc == nullptr);
  }
  shut(loop, *s);
}

TEST_CASE("sslproto: SNI and ssl_object — the server's SSL* sees the client's server_hostname",
          "[tls][net]") {
  EventLoop loop;
  auto s = serve(loop, server_context());
  auto [transport, client] = connect(loop, s->port, client_context(), "localhost");
  wait(loop, s->peers.at(0)->made);
  auto server_ssl =
      std::any_cast<std::shared_ptr<SSL>>(s->peers[0]->transport->get_extra_info("ssl_object"));
  REQUIRE(server_ssl != nullptr);
  const char* sni = ::SSL_get_servername(server_ssl.get(), TLSEXT_NAMETYPE_host_name);
  REQUIRE(sni != nullptr);
  CHECK(std::string(sni) == "localhost");
  // The socket's own information is still there, through the TLS transport.
  CHECK(std::any_cast<asyncio::SockAddr>(transport->get_extra_info("peername")).port == s->port);
  CHECK(transport->fileno() >= 0);
  transport->close();
  wait(loop, client->lost);
  shut(loop, *s);
}

TEST_CASE(
    "test_ssl.TestSSL.test_flush_before_shutdown / pause_reading: no data_received while "
    "paused, everything after resume_reading",
    "[tls][net]") {
  EventLoop loop;
  auto s = serve(loop, server_context(), false);
  auto [transport, client] = connect(loop, s->port, client_context());
  wait(loop, s->peers.at(0)->made);
  transport->pause_reading();
  CHECK_FALSE(transport->is_reading());
  std::string block = pattern(200 * 1024);
  s->peers[0]->transport->write(block);
  // The bytes reach the client's socket; give the loop many turns to (not) deliver them.
  for (int i = 0; i < 50; ++i) test_support::run_once(loop);
  CHECK(client->data.empty());
  client->expect(loop, block.size());
  transport->resume_reading();
  wait(loop, client->enough);
  CHECK(client->data == block);
  transport->close();
  wait(loop, client->lost);
  shut(loop, *s);
}

TEST_CASE(
    "test_ssl.TestSSL.test_ssl_handshake_connection_lost-like: a peer that speaks no TLS "
    "gives an SSLError, not a certificate error",
    "[tls][net]") {
  EventLoop loop;
  class Garbage : public asyncio::Protocol {
    void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
      std::dynamic_pointer_cast<asyncio::Transport>(t)->write("HTTP/1.1 400 Bad Request\r\n\r\n");
    }
  };
  auto server = loop.run_until_complete(
      loop.create_server([] { return std::make_shared<Garbage>(); }, "127.0.0.1", 0));
  int port = server->addresses().at(0).port;
  asyncio::ConnectionOptions options;
  options.ssl = client_context();
  try {
    loop.run_until_complete(loop.create_connection([&loop] { return std::make_shared<Peer>(loop); },
                                                   "127.0.0.1", port, options));
    FAIL("the handshake should have failed");
  } catch (const ssl::SSLCertVerificationError&) {
    FAIL("not a certificate problem");
  } catch (const ssl::SSLError& e) {
    CHECK(e.code().category() == ssl::ssl_category());
    CHECK(e.code().value() == SSL_ERROR_SSL);
    CHECK(std::string(e.what()).rfind("[SSL: ", 0) == 0);
    CHECK_FALSE(e.reason.empty());
  }
  server->close();
  run(loop, server->wait_closed());
}

TEST_CASE(
    "test_sslproto.BaseStartTLS.test_start_tls_server_1: loop.start_tls on both sides of a "
    "protocol-level connection",
    "[tls][net]") {
  EventLoop loop;
  std::shared_ptr<Peer> server_side;
  auto server = loop.run_until_complete(loop.create_server(
      [&] { return server_side = std::make_shared<Peer>(loop); }, "127.0.0.1", 0));
  int port = server->addresses().at(0).port;
  auto [plain, client] = loop.run_until_complete(
      loop.create_connection([&loop] { return std::make_shared<Peer>(loop); }, "127.0.0.1", port));
  wait(loop, server_side->made);
  asyncio::StartTLSOptions server_options;
  server_options.server_side = true;
  asyncio::Task<std::shared_ptr<asyncio::Transport>> upgrading = loop.create_task(
      loop.start_tls(server_side->transport, server_side, server_context(), server_options));
  asyncio::StartTLSOptions client_options;
  client_options.server_hostname = "localhost";
  auto tls = run(loop, loop.start_tls(plain, client, client_context(), client_options));
  auto server_tls = wait(loop, asyncio::Future<std::shared_ptr<asyncio::Transport>>(upgrading));
  CHECK(tls->get_extra_info("sslcontext").has_value());
  CHECK(client->events == std::vector<std::string>{"made"});  // no second connection_made
  server_tls->write("over tls");
  client->expect(loop, 8);
  wait(loop, client->enough);
  CHECK(client->data == "over tls");
  CHECK(plain->get_protocol() != client);  // the socket now feeds the TLS layer
  CHECK(tls->get_protocol() == client);
  tls->close();
  wait(loop, client->lost);
  wait(loop, server_side->lost);
  server->close();
  run(loop, server->wait_closed());
}

TEST_CASE("TLS over Unix sockets, and close_clients() ends TLS connections too", "[tls][net]") {
  EventLoop loop;
  std::string path = "/tmp/asyncio-cpp-tls-" + std::to_string(::getpid()) + ".sock";
  std::shared_ptr<Peer> server_side;
  asyncio::ServerOptions server_options;
  server_options.ssl = server_context();
  auto server = loop.run_until_complete(loop.create_unix_server(
      [&] { return server_side = std::make_shared<Peer>(loop, true); }, path, server_options));
  asyncio::ConnectionOptions options;
  options.ssl = client_context();
  options.server_hostname = "localhost";
  auto [transport, client] = loop.run_until_complete(
      loop.create_unix_connection([&loop] { return std::make_shared<Peer>(loop); }, path, options));
  client->expect(loop, 5);
  transport->write("hello");
  wait(loop, client->enough);
  CHECK(client->data == "hello");
  server->close();
  server->close_clients();
  wait(loop, client->lost);
  run(loop, server->wait_closed());
  CHECK(server_side->lost.done());
  ::unlink(path.c_str());
}

TEST_CASE("TLS stress: 200 concurrent connections each echo once", "[tls][net]") {
  EventLoop loop;
  auto s = serve(loop, server_context());
  auto ctx = client_context();
  auto one = [&](int i) -> Coro<bool> {
    asyncio::ConnectionOptions options;
    options.ssl = ctx;
    options.server_hostname = "localhost";
    auto made = co_await loop.create_connection([&loop] { return std::make_shared<Peer>(loop); },
                                                "127.0.0.1", s->port, options);
    std::string msg = "message " + std::to_string(i);
    made.second->expect(loop, msg.size());
    made.first->write(msg);
    co_await made.second->enough;
    bool ok = made.second->data == msg;
    made.first->close();
    co_await made.second->lost;
    co_return ok;
  };
  std::vector<asyncio::Task<bool>> tasks;
  for (int i = 0; i < 200; ++i) tasks.push_back(loop.create_task(one(i)));
  auto all = [&]() -> Coro<std::vector<bool>> { co_return co_await asyncio::gather(tasks); };
  auto results = run(loop, all(), 120.0);
  CHECK(std::count(results.begin(), results.end(), true) == 200);
  shut(loop, *s);
}

TEST_CASE("ssl::create_default_context: peer verification for clients, none for servers", "[tls]") {
  auto client = ssl::create_default_context();
  CHECK((::SSL_CTX_get_verify_mode(client->native_handle()) & SSL_VERIFY_PEER) != 0);
  CHECK(::SSL_CTX_get_min_proto_version(client->native_handle()) == TLS1_2_VERSION);
  auto server = ssl::create_default_context(ssl::Purpose::CLIENT_AUTH);
  CHECK(::SSL_CTX_get_verify_mode(server->native_handle()) == SSL_VERIFY_NONE);
  CHECK_THROWS(ssl::create_default_context(ssl::Purpose::SERVER_AUTH, "/nonexistent/ca.pem"));
}

TEST_CASE(
    "sslproto _extra: the TLS details outlive the connection, and a kept ssl_object stays "
    "valid",
    "[tls][net]") {
  EventLoop loop;
  auto s = serve(loop, server_context());
  auto [transport, client] = connect(loop, s->port, client_context());
  auto kept = std::any_cast<std::shared_ptr<SSL>>(transport->get_extra_info("ssl_object"));
  transport->close();
  wait(loop, client->lost);
  shut(loop, *s);
  CHECK(transport->get_extra_info("sslcontext").has_value());
  CHECK(transport->get_extra_info("cipher").has_value());
  auto cert = std::any_cast<ssl::PeerCert>(transport->get_extra_info("peercert"));
  CHECK(cert.subject.at(0).second == "localhost");
  CHECK(std::string(::SSL_get_version(kept.get())) == "TLSv1.3");
}

namespace {
bool replaced_alive = true;
// Replaces itself from inside data_received; only the transport owns it.
class SelfReplacing : public asyncio::Protocol {
 public:
  explicit SelfReplacing(std::shared_ptr<Peer> next) : next_(std::move(next)) {}
  ~SelfReplacing() override { replaced_alive = false; }
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    transport_ = std::dynamic_pointer_cast<asyncio::Transport>(t);
  }
  void data_received(std::string_view d) override {
    auto t = std::move(transport_);
    t->set_protocol(next_);  // drops the transport's reference to this object
    CHECK(replaced_alive);   // still alive while its method runs
    next_->data.append(d);
    t->write("switched");
  }
  std::shared_ptr<asyncio::Transport> transport_;
  std::shared_ptr<Peer> next_;
};
}  // namespace

TEST_CASE("set_protocol from inside data_received keeps the old protocol alive until it returns",
          "[tls][net]") {
  bool tls = GENERATE(false, true);
  EventLoop loop;
  auto next = std::make_shared<Peer>(loop);
  replaced_alive = true;
  asyncio::ServerOptions options;
  if (tls) options.ssl = server_context();
  auto server = loop.run_until_complete(loop.create_server(
      [&] { return std::make_shared<SelfReplacing>(next); }, "127.0.0.1", 0, options));
  int port = server->addresses().at(0).port;
  asyncio::ConnectionOptions copts;
  if (tls) copts.ssl = client_context();
  if (tls) copts.server_hostname = "localhost";
  auto [transport, client] = loop.run_until_complete(loop.create_connection(
      [&loop] { return std::make_shared<Peer>(loop); }, "127.0.0.1", port, copts));
  client->expect(loop, 8);
  transport->write("hello");
  wait(loop, client->enough);
  CHECK(client->data == "switched");
  CHECK(next->data == "hello");
  transport->close();
  wait(loop, client->lost);
  server->close();
  run(loop, server->wait_closed());
}

TEST_CASE("A create_connection cancelled during the handshake leaves no connection behind",
          "[tls][net]") {
  EventLoop loop;
  test_support::make_reactor(loop);
  int before = open_fd_count();
  auto s = serve(loop, server_context());
  asyncio::ConnectionOptions options;
  options.ssl = client_context();
  options.server_hostname = "localhost";
  auto task = loop.create_task(loop.create_connection(
      [&loop] { return std::make_shared<Peer>(loop); }, "127.0.0.1", s->port, options));
  // Let the TCP connect finish and the TLS transport be made, then cancel.
  for (int i = 0; i < 200 && s->peers.empty(); ++i) test_support::run_once(loop);
  task.cancel();
  CHECK_THROWS_AS(loop.run_until_complete(task), asyncio::CancelledError);
  shut(loop, *s);  // waits until the server side is gone too
  CHECK(open_fd_count() == before);
}

TEST_CASE(
    "test_events.test_connect_accepted_socket with ssl: an fd accepted elsewhere becomes "
    "the server side of a TLS connection",
    "[tls][net]") {
  EventLoop loop;
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  socklen_t len = sizeof sin;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&sin), &len);
  int port = ntohs(sin.sin_port);

  auto connecting = loop.create_task(
      loop.create_connection([&loop] { return std::make_shared<Peer>(loop); }, "127.0.0.1", port,
                             [] {
                               asyncio::ConnectionOptions o;
                               o.ssl = client_context();
                               o.server_hostname = "localhost";
                               return o;
                             }()));
  for (int i = 0; i < 100 && !connecting.done(); ++i) test_support::run_once(loop);
  int accepted = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  REQUIRE(accepted >= 0);
  asyncio::ServerOptions options;
  options.ssl = server_context();
  auto [server_transport, server_side] = loop.run_until_complete(loop.connect_accepted_socket(
      [&loop] { return std::make_shared<Peer>(loop, true); }, accepted, options));
  auto [transport, client] = wait(
      loop, asyncio::Future<std::pair<std::shared_ptr<asyncio::Transport>, std::shared_ptr<Peer>>>(
                connecting));
  CHECK(server_transport->get_extra_info("sslcontext").has_value());
  client->expect(loop, 4);
  transport->write("ping");
  wait(loop, client->enough);
  CHECK(client->data == "ping");
  transport->close();
  wait(loop, client->lost);
  wait(loop, server_side->lost);
  ::close(listener);
}
