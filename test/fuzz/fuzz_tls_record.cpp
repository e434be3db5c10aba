// libFuzzer target: the TLS record path. Random bytes reach SSLProtocol (lib/sslproto.cpp) as
// ciphertext through data_received, as a socket transport delivers them, on the server side
// and on the client side. Optionally a real handshake with an in-memory OpenSSL peer comes
// first, so that records also hit the wrapped, flushing and shutdown states; the peer can then
// send real application data and close_notify between the random records, and the application
// can write, close, abort and pause. Whatever happens, the application must see its callbacks
// in order, only a prefix of what the peer sent, and nothing may outlive the loop.
//
// Input: a mode byte, then operations [op][length][payload of length bytes] (see Op, Mode).
#include <asyncio/asyncio.hpp>

#include "sslproto.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace {

using asyncio::detail::StartTLSCompatible;

void check(bool ok) {
  if (!ok) std::abort();
}

enum Mode : std::uint8_t {
  client_side = 1,    // SSLProtocol is the client (else the server)
  established = 2,    // handshake with the in-memory peer before the operations
  buffered = 4,       // the application is a BufferedProtocol (read_buffered, not read_copied)
  close_on_data = 8,  // the application closes its transport from its first data_received
  // bits 4-7: log2 of the BufferedProtocol's buffer size (1 to 4096 bytes)
};

enum class Op : std::uint8_t {
  ciphertext,  // random bytes into data_received
  peer_data,   // the peer encrypts the payload (established only, else ciphertext)
  peer_close,  // the peer sends close_notify (established only, else ciphertext)
  app_write,   // the application writes the payload
  app_close,   // the application closes its transport
  socket_eof,  // the socket reports EOF (eof_received)
  app_pause,   // the application pauses or resumes reading
  app_abort,   // the application aborts its transport
};
constexpr std::uint8_t no_tick = 8;  // op bit: no loop iteration after this operation

// ---------------------------------------------------------------- certificates

// A throw-away P-256 key and a self-signed certificate for "localhost", made at startup so
// the target needs no files from the test build.
struct Identity {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};

Identity make_identity() {
  Identity id;
  id.key = ::EVP_EC_gen("P-256");
  id.cert = ::X509_new();
  check(id.key && id.cert);
  ::X509_set_version(id.cert, 2);
  ::ASN1_INTEGER_set(::X509_get_serialNumber(id.cert), 1);
  ::X509_gmtime_adj(::X509_getm_notBefore(id.cert), -3600);
  ::X509_gmtime_adj(::X509_getm_notAfter(id.cert), 7 * 24 * 3600);
  X509_NAME* name = ::X509_get_subject_name(id.cert);
  ::X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  ::X509_set_issuer_name(id.cert, name);
  ::X509_set_pubkey(id.cert, id.key);
  check(::X509_sign(id.cert, id.key, ::EVP_sha256()) > 0);
  return id;
}

// The contexts live for the whole run; no session cache, so no input changes the next one.
struct Contexts {
  std::shared_ptr<asyncio::ssl::SSLContext> server;  // presents the identity
  std::shared_ptr<asyncio::ssl::SSLContext> client;  // trusts only the identity
};

Contexts& contexts() {
  static Contexts ctx = [] {
    static Identity id = make_identity();
    Contexts c;
    c.server = asyncio::ssl::create_default_context(asyncio::ssl::Purpose::CLIENT_AUTH);
    SSL_CTX* server = c.server->native_handle();
    check(::SSL_CTX_use_certificate(server, id.cert) == 1);
    check(::SSL_CTX_use_PrivateKey(server, id.key) == 1);
    c.client = std::make_shared<asyncio::ssl::SSLContext>(asyncio::ssl::SSLContext::tls_client);
    SSL_CTX* client = c.client->native_handle();
    ::SSL_CTX_set_verify(client, SSL_VERIFY_PEER, nullptr);
    check(::X509_STORE_add_cert(::SSL_CTX_get_cert_store(client), id.cert) == 1);
    for (SSL_CTX* ctx : {server, client}) ::SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return c;
  }();
  return ctx;
}

// ---------------------------------------------------------------- the socket side

// What a socket transport does for SSLProtocol, without a socket: it keeps what SSLProtocol
// writes, and closing it schedules connection_lost once, as selector_events does.
class FakeSocket final : public asyncio::Transport, public StartTLSCompatible {
 public:
  FakeSocket(asyncio::EventLoop& loop, std::shared_ptr<asyncio::Protocol> protocol)
      : loop_(loop), protocol_(std::move(protocol)) {}

  // Paused (SSLProtocol's 256 KiB incoming mark) never happens under -max_len=4096.
  bool delivering() const { return !closing_ && !eof_ && !paused_; }
  void deliver(std::string_view bytes) {
    if (!delivering()) return;
    try {
      protocol_->data_received(bytes);
    } catch (const std::exception&) {  // _read_ready's _fatal_error
      force_close(std::current_exception());
    }
  }
  void deliver_eof() {
    if (!delivering()) return;
    eof_ = true;
    bool keep_open = true;
    try {
      keep_open = protocol_->eof_received();
    } catch (const std::exception&) {
      return force_close(std::current_exception());
    }
    if (!keep_open) close();
  }
  std::string take_written() { return std::exchange(written_, {}); }

  void write(std::string_view data) override {
    if (!closing_) written_.append(data);
  }
  void close() override { lose(nullptr); }
  void abort() override { lose(nullptr); }
  void force_close(std::exception_ptr exc) override { lose(exc); }
  bool is_closing() const override { return closing_; }
  bool is_reading() const override { return !paused_ && !closing_; }
  void pause_reading() override { paused_ = true; }
  void resume_reading() override { paused_ = false; }
  void set_protocol(std::shared_ptr<asyncio::BaseProtocol> p) override {
    protocol_ = std::dynamic_pointer_cast<asyncio::Protocol>(p);
  }
  std::shared_ptr<asyncio::BaseProtocol> get_protocol() const override { return protocol_; }
  void write_eof() override {}
  bool can_write_eof() const override { return true; }
  std::size_t get_write_buffer_size() const override { return 0; }
  std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override { return {0, 0}; }
  void set_write_buffer_limits(std::optional<std::size_t>, std::optional<std::size_t>) override {}

 private:
  // The protocol reference goes with connection_lost: that breaks the socket/TLS cycle.
  void lose(std::exception_ptr exc) {
    if (std::exchange(closing_, true)) return;
    loop_.call_soon([self = shared_from_this(), exc] {
      auto me = std::dynamic_pointer_cast<FakeSocket>(self);  // BaseTransport is a virtual base
      if (auto p = std::exchange(me->protocol_, nullptr)) p->connection_lost(exc);
    });
  }

  asyncio::EventLoop& loop_;
  std::shared_ptr<asyncio::Protocol> protocol_;
  std::string written_;
  bool closing_ = false;
  bool eof_ = false;
  bool paused_ = false;
};

// ---------------------------------------------------------------- the application side

// Records what the application is told and checks the order asyncio promises.
struct AppLog {
  std::string received;
  bool made = false;
  bool eof = false;
  bool lost = false;
  bool close_on_data = false;
  std::shared_ptr<asyncio::BaseTransport> transport;

  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) {
    check(!made && !lost);
    made = true;
    transport = std::move(t);
  }
  void data(std::string_view bytes) {
    check(made && !eof && !lost && !bytes.empty());
    received.append(bytes);
    if (close_on_data) transport->close();  // a nested close while SSLProtocol reads
  }
  void eof_received() {
    check(made && !eof && !lost);
    eof = true;
  }
  void connection_lost() {
    check(made && !lost);
    lost = true;
    transport.reset();
  }
};

class PlainApp final : public asyncio::Protocol {
 public:
  AppLog log;
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    log.connection_made(std::move(t));
  }
  void data_received(std::string_view data) override { log.data(data); }
  bool eof_received() override {
    log.eof_received();
    return false;
  }
  void connection_lost(std::exception_ptr) override { log.connection_lost(); }
};

class BufferedApp final : public asyncio::BufferedProtocol {
 public:
  explicit BufferedApp(std::size_t size) : buffer_(size) {}
  AppLog log;
  void connection_made(std::shared_ptr<asyncio::BaseTransport> t) override {
    log.connection_made(std::move(t));
  }
  std::span<char> get_buffer(std::ptrdiff_t) override { return buffer_; }
  void buffer_updated(std::size_t n) override {
    check(n <= buffer_.size());
    log.data(std::string_view(buffer_.data(), n));
  }
  bool eof_received() override {
    log.eof_received();
    return false;
  }
  void connection_lost(std::exception_ptr) override { log.connection_lost(); }

 private:
  std::vector<char> buffer_;
};

// ---------------------------------------------------------------- the peer

// The other end, as plain OpenSSL over memory BIOs; it never verifies.
class Peer {
 public:
  explicit Peer(bool server) : ssl_(::SSL_new(server ? ctx_server() : ctx_client())) {
    check(ssl_ != nullptr);
    ::SSL_set_verify(ssl_, SSL_VERIFY_NONE, nullptr);
    ::SSL_set_bio(ssl_, ::BIO_new(::BIO_s_mem()), ::BIO_new(::BIO_s_mem()));
    server ? ::SSL_set_accept_state(ssl_) : ::SSL_set_connect_state(ssl_);
  }
  ~Peer() { ::SSL_free(ssl_); }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  bool ready() const { return ::SSL_is_init_finished(ssl_) == 1; }
  // Takes the protocol's ciphertext; keeps the plaintext it carries.
  void receive(const std::string& bytes) {
    ::BIO_write(::SSL_get_rbio(ssl_), bytes.data(), static_cast<int>(bytes.size()));
    if (!ready()) ::SSL_do_handshake(ssl_);
    char buf[4096];
    std::size_t got = 0;
    while (ready() && ::SSL_read_ex(ssl_, buf, sizeof buf, &got) == 1) plaintext.append(buf, got);
    ::ERR_clear_error();
  }
  void send(std::string_view data) {
    std::size_t done = 0;
    if (ready() && !data.empty() && ::SSL_write_ex(ssl_, data.data(), data.size(), &done) == 1)
      sent.append(data);
    ::ERR_clear_error();
  }
  void shutdown() {
    ::SSL_shutdown(ssl_);
    ::ERR_clear_error();
  }
  std::string take_output() {
    std::string out(::BIO_ctrl_pending(::SSL_get_wbio(ssl_)), '\0');
    if (!out.empty()) ::BIO_read(::SSL_get_wbio(ssl_), out.data(), static_cast<int>(out.size()));
    return out;
  }

  std::string sent;       // application data sent to SSLProtocol
  std::string plaintext;  // application data SSLProtocol sent here

 private:
  static SSL_CTX* ctx_server() { return contexts().server->native_handle(); }
  static SSL_CTX* ctx_client() { return contexts().client->native_handle(); }
  SSL* ssl_;
};

// ---------------------------------------------------------------- one input

void run_once(asyncio::EventLoop& loop) {
  loop.call_soon([&loop] { loop.stop(); });
  loop.run_forever();
}

struct Session {
  asyncio::EventLoop& loop;
  std::uint8_t mode;
  std::shared_ptr<asyncio::BaseProtocol> app;
  AppLog* log = nullptr;
  std::shared_ptr<asyncio::Protocol> tls;
  std::shared_ptr<asyncio::Transport> app_transport;
  std::shared_ptr<FakeSocket> socket;
  std::optional<asyncio::Future<void>> waiter;
  Peer peer;

  Session(asyncio::EventLoop& l, std::uint8_t m) : loop(l), mode(m), peer(m & client_side) {
    if (mode & buffered) {
      auto a = std::make_shared<BufferedApp>(std::size_t{1} << ((mode >> 4) % 13));
      log = &a->log;
      app = a;
    } else {
      auto a = std::make_shared<PlainApp>();
      log = &a->log;
      app = a;
    }
    log->close_on_data = mode & close_on_data;
    asyncio::detail::SSLSettings settings;
    settings.server_side = !(mode & client_side);
    settings.context = settings.server_side ? contexts().server : contexts().client;
    if (!settings.server_side) settings.server_hostname = "localhost";
    waiter = loop.create_future<void>();
    std::tie(tls, app_transport) =
        asyncio::detail::make_ssl_protocol(loop, app, settings, waiter, true);
    socket = std::make_shared<FakeSocket>(loop, tls);
  }

  bool live() const { return (mode & established) && peer.ready(); }

  // The protocol's ciphertext goes to the peer (when there is one), the peer's comes back.
  void exchange() {
    std::string out = socket->take_written();
    if (!(mode & established)) return;
    peer.receive(out);
    std::string back = peer.take_output();
    if (!back.empty()) socket->deliver(back);
  }

  void handshake() {
    for (int round = 0; round < 8 && !waiter->done(); ++round) {
      exchange();
      run_once(loop);
    }
    exchange();  // the server's session tickets, the client's last flight
    check(waiter->done() && !waiter->exception() && peer.ready());
  }

  void apply(Op op, std::string_view payload) {
    switch (op) {
      case Op::peer_data:
        if (!live()) return socket->deliver(payload);
        peer.send(payload);
        return socket->deliver(peer.take_output());
      case Op::peer_close:
        if (!live()) return socket->deliver(payload);
        peer.shutdown();
        return socket->deliver(peer.take_output());
      case Op::ciphertext:
        return socket->deliver(payload);
      case Op::app_write:
        return app_transport->write(payload);
      case Op::app_close:
        return app_transport->close();
      case Op::socket_eof:
        return socket->deliver_eof();
      case Op::app_pause:
        if (app_transport->is_reading())
          app_transport->pause_reading();
        else
          app_transport->resume_reading();
        return;
      case Op::app_abort:
        return app_transport->abort();
    }
  }

  // What the application read is what the peer sent, in order; the same the other way. A
  // prefix, not all of it: on socket EOF SSLProtocol reads once more and shuts down, so a
  // BufferedProtocol whose buffer is smaller than what is pending loses the rest, as under
  // CPython's _do_flush (seed client_established_buffered: 40 of 46 bytes arrive).
  void check_streams() const {
    check(peer.sent.compare(0, log->received.size(), log->received) == 0);
  }
};

// Returns what must be gone once the loop is closed.
std::pair<std::weak_ptr<void>, std::weak_ptr<void>> run_input(asyncio::EventLoop& loop,
                                                              const std::uint8_t* bytes,
                                                              std::size_t size) {
  Session s(loop, bytes[0]);
  s.tls->connection_made(s.socket);
  if (s.mode & established) s.handshake();
  std::string written;  // what the application wrote, for the peer-side check
  for (std::size_t i = 1; i + 1 < size;) {
    std::uint8_t op = bytes[i];
    std::size_t n = std::min<std::size_t>(bytes[i + 1], size - i - 2);
    std::string_view payload(reinterpret_cast<const char*>(bytes + i + 2), n);
    i += 2 + n;
    if (static_cast<Op>(op & 7) == Op::app_write && !s.app_transport->is_closing())
      written.append(payload);
    s.apply(static_cast<Op>(op & 7), payload);
    if (!(op & no_tick)) run_once(loop);
    s.exchange();
    s.check_streams();
  }
  check(written.compare(0, s.peer.plaintext.size(), s.peer.plaintext) == 0);
  s.socket->abort();  // the connection ends, as a socket's would
  run_once(loop);
  run_once(loop);
  check(!s.log->made || s.log->lost);  // connection_lost came, once
  check(s.waiter->done());
  return {s.tls, s.app};
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  asyncio::set_log_sink([](asyncio::LogLevel, std::string_view) {});  // expected warnings
  contexts();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  asyncio::EventLoop loop;  // per input: no handle or timer carries over
  loop.set_exception_handler([](asyncio::EventLoop&, const asyncio::ExceptionContext&) {});
  auto [tls, app] = run_input(loop, bytes, size);
  loop.close();
  check(tls.expired() && app.expired());  // no cycle kept the connection alive
  return 0;
}
