// asyncio.streams: StreamReader, StreamWriter and the flow-control base of stream protocols.
#pragma once

#include <asyncio/base_events.hpp>
#include <asyncio/coroutines.hpp>
#include <asyncio/detail/async_range.hpp>
#include <asyncio/detail/read_buffer.hpp>
#include <asyncio/detail/site.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/protocols.hpp>
#include <asyncio/transports.hpp>

#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

inline constexpr std::size_t DEFAULT_LIMIT = 64 * 1024;  // streams._DEFAULT_LIMIT

class StreamReader {
 public:
  explicit StreamReader(std::size_t limit = DEFAULT_LIMIT);  // on the running loop
  StreamReader(std::size_t limit, EventLoop& loop);
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  std::exception_ptr exception() const { return exception_; }
  void set_exception(std::exception_ptr exc);
  /// Reading pauses this transport while more than 2 * limit bytes are buffered.
  void set_transport(std::shared_ptr<ReadTransport> transport);
  void feed_eof();
  bool at_eof() const { return eof_ && buffered() == 0; }
  void feed_data(std::string_view data);

  /// Each raises what asyncio raises: IncompleteReadError, LimitOverrunError,
  /// std::invalid_argument (readline's ValueError), RuntimeError for a second waiter.
  Coro<std::string> readline();
  Coro<std::string> readuntil(std::string separator = "\n");
  Coro<std::string> readuntil(std::vector<std::string> separators);  // 3.13
  Coro<std::string> read(std::ptrdiff_t n = -1);
  Coro<std::string> readexactly(std::ptrdiff_t n);
  /// `async for line in reader`: the next line, or std::nullopt at EOF.
  Coro<std::optional<std::string>> anext();

  std::size_t limit() const noexcept { return limit_; }
  std::size_t buffered() const noexcept { return buffer_.size(); }

 private:
  class DataWait;  // an awaitable, so that waiting takes no coroutine frame of its own
  DataWait wait_for_data(const char* func_name);
  void wakeup_waiter();
  void maybe_resume_transport();
  std::string take(std::size_t n);
  std::string_view view() const noexcept { return buffer_.view(); }
  void consume(std::size_t n) noexcept { buffer_.consume(n); }
  // StreamReaderProtocol's BufferedProtocol side: the transport reads into the free tail.
  friend class StreamReaderProtocol;
  std::span<char> free_tail();
  void tail_filled(std::size_t n);
  void data_arrived();

  EventLoop& loop_;
  std::size_t limit_;
  detail::ReadBuffer buffer_;
  bool eof_ = false;
  std::optional<Future<void>> waiter_;
  std::exception_ptr exception_;
  std::shared_ptr<ReadTransport> transport_;
  bool paused_ = false;
};

class StreamWriter;

/// streams.FlowControlMixin: turns pause_writing/resume_writing into awaitable drain().
class FlowControlMixin : public virtual BaseProtocol {
 public:
  explicit FlowControlMixin(EventLoop& loop) : loop_(loop) {}
  void pause_writing() override;
  void resume_writing() override;
  void connection_lost(std::exception_ptr exc) override;
  Coro<void> drain_helper();
  /// drain() would return at once: neither paused nor lost.
  bool drain_ready() const noexcept { return !paused_ && !connection_lost_; }
  virtual Future<void> get_close_waiter(StreamWriter& stream) = 0;
  EventLoop& get_loop() const noexcept { return loop_; }

 protected:
  EventLoop& loop_;
  bool paused_ = false;
  bool connection_lost_ = false;

 private:
  std::deque<Future<void>> drain_waiters_;
};

class StreamWriter {
 public:
  StreamWriter(std::shared_ptr<WriteTransport> transport,
               std::shared_ptr<FlowControlMixin> protocol, std::shared_ptr<StreamReader> reader,
               EventLoop& loop);

  const std::shared_ptr<WriteTransport>& transport() const noexcept { return transport_; }
  void write(std::string_view data) { transport_->write(data); }
  void writelines(const std::vector<std::string>& lines) { transport_->writelines(lines); }
  void write_eof() { transport_->write_eof(); }
  bool can_write_eof() const { return transport_->can_write_eof(); }
  void close() { transport_->close(); }
  bool is_closing() const { return transport_->is_closing(); }
  std::any get_extra_info(std::string_view name) const { return transport_->get_extra_info(name); }
  std::any get_extra_info(std::string_view name, std::any default_value) const {
    return transport_->get_extra_info(name, std::move(default_value));
  }
  template <class T>  // get_extra_info<SockAddr>("peername"): nullopt if absent or not a T
  std::optional<T> get_extra_info(std::string_view name) const {
    return transport_->get_extra_info<T>(name);
  }
  template <class T>
  T get_extra_info(std::string_view name, std::type_identity_t<T> default_value) const {
    return transport_->get_extra_info<T>(name, std::move(default_value));
  }
  Coro<void> wait_closed();
  /// Waits while the transport's buffer is over its high-water mark; raises the
  /// connection's error (EPIPE, ECONNRESET, ...) once it is lost.
  Coro<void> drain();
  /// Upgrades the connection to TLS in place (server side when start_server made it);
  /// options.server_side is ignored.
  Coro<void> start_tls(std::shared_ptr<boost::asio::ssl::context> sslcontext,
                       StartTLSOptions options = {});
  /// RuntimeError("Event loop is closed") once the loop is destroyed.
  EventLoop& get_loop() const;
  std::string repr() const;  // "<StreamWriter transport=<...>>"

  /// StreamWriter.__del__: the writer open_connection() or a start_server() callback gave
  /// out is gone while its transport is open, so the transport is closed ("unclosed
  /// <StreamWriter ...>" through the log sink in debug mode). Nothing once the loop is closed.
  void close_abandoned() noexcept;

 private:
  std::shared_ptr<FlowControlMixin> protocol() const;

  std::shared_ptr<WriteTransport> transport_;
  /// Weak: the protocol usually owns this writer; the transport keeps it alive.
  std::weak_ptr<FlowControlMixin> protocol_;
  FlowControlMixin* protocol_ptr_;  // protocol_'s target, for drain()'s fast path
  std::shared_ptr<StreamReader> reader_;
  EventLoop& loop_;
  Future<void> closed_;  // the protocol's close waiter, asked for once
  /// In debug mode, the creation site of the task that made it, for the unclosed warning.
  detail::Site created_;
};

namespace detail {
using StreamPair_t = std::pair<std::shared_ptr<StreamReader>, std::shared_ptr<StreamWriter>>;
/// The writer handed to the user: when its last copy is gone, the connection is closed
/// (StreamWriter::close_abandoned), as CPython 3.13 does when it collects the writer. The
/// library's own references to the writer do not count; the reader does not keep it open.
StreamPair_t hand_out(std::shared_ptr<StreamReader> reader, std::shared_ptr<StreamWriter> writer);
}  // namespace detail

/// streams.StreamReaderProtocol: a Protocol feeding a StreamReader; on a server it also
/// makes the StreamWriter and calls client_connected_cb: the coroutine it returns runs as a
/// task, and a callback that returns std::nullopt (a plain function's adapter) is done. It is a
/// BufferedProtocol too, so that socket transports recv() straight into the reader's buffer (one
/// copy less than data_received); pipe transports and direct callers use data_received. A subclass
/// gets every read through data_received, so that its override sees the data.
class StreamReaderProtocol : public FlowControlMixin, public Protocol, public BufferedProtocol {
 public:
  /// A function returning Coro<void> converts to this as it is.
  using ClientConnected = std::function<std::optional<Coro<void>>(std::shared_ptr<StreamReader>,
                                                                  std::shared_ptr<StreamWriter>)>;
  StreamReaderProtocol(std::shared_ptr<StreamReader> reader, ClientConnected client_connected,
                       EventLoop& loop);
  void connection_made(std::shared_ptr<BaseTransport> transport) override;
  void connection_lost(std::exception_ptr exc) override;
  void data_received(std::string_view data) override;
  std::span<char> get_buffer(std::ptrdiff_t sizehint) override;
  void buffer_updated(std::size_t nbytes) override;
  bool eof_received() override;
  Future<void> get_close_waiter(StreamWriter&) override { return closed_; }

  std::shared_ptr<StreamReader> reader() const { return reader_; }
  bool is_server_side() const noexcept { return static_cast<bool>(client_connected_); }
  /// After start_tls: the writer now writes to `transport` (_replace_writer).
  void replace_transport(const std::shared_ptr<Transport>& transport);

 private:
  std::shared_ptr<StreamReader> reader_;
  ClientConnected client_connected_;
  std::shared_ptr<StreamWriter> writer_;
  std::shared_ptr<BaseTransport> transport_;
  Future<void> closed_;
  bool over_ssl_ = false;
  std::unique_ptr<char[]> relay_;  // a subclass's reads land here, then go to data_received
};

using StreamPair = std::pair<std::shared_ptr<StreamReader>, std::shared_ptr<StreamWriter>>;

namespace detail {
/// A StreamReader's lines for aiter(): ends once a line came back empty (EOF).
struct StreamLines {
  std::shared_ptr<StreamReader> owner;  // keeps the reader alive when given as a shared_ptr
  StreamReader* reader;
  std::shared_ptr<bool> ended = std::make_shared<bool>(false);
  /// Takes copies, so an element kept past the loop does not reach back into the range.
  static Coro<std::optional<std::string>> next_line(std::shared_ptr<StreamReader> owner,
                                                    StreamReader* reader,
                                                    std::shared_ptr<bool> ended);
  Coro<std::optional<std::string>> anext() { return next_line(owner, reader, ended); }
  bool exhausted() const noexcept { return *ended; }
};
}  // namespace detail

/// `async for line in reader:` as a range-for; each `co_await next` is StreamReader::anext():
///   for (auto next : asyncio::aiter(reader)) {
///     auto line = co_await next;
///     if (!line) break;  // EOF: Python's StopAsyncIteration
///     use(*line);        // with its "\n", as in Python
///   }
/// The range ends after the EOF element, so the loop cannot spin past it; readline's errors
/// (std::invalid_argument for an over-long line, the reader's exception) leave the loop as
/// __anext__ raises them. `while (auto line = co_await reader->anext())` is the same loop.
inline detail::AsyncRange<detail::StreamLines> aiter(std::shared_ptr<StreamReader> reader) {
  StreamReader* raw = reader.get();
  if (raw == nullptr) throw std::invalid_argument("aiter() got an empty StreamReader pointer");
  return detail::AsyncRange<detail::StreamLines>({std::move(reader), raw});
}
/// The same over a reader the caller keeps alive for the whole loop.
inline detail::AsyncRange<detail::StreamLines> aiter(StreamReader& reader) {
  return detail::AsyncRange<detail::StreamLines>({nullptr, &reader});
}

/// asyncio.open_connection / start_server and their Unix forms, on the running loop. Hosts
/// are as in create_connection and create_server: std::nullopt is Python's None; the forms
/// without host and port take options.sock.
Coro<StreamPair> open_connection(std::optional<std::string> host, int port,
                                 ConnectionOptions options = {});
Coro<StreamPair> open_connection(ConnectionOptions options = {});
Coro<StreamPair> open_unix_connection(std::string path, ConnectionOptions options = {});

namespace detail {
using ClientConnected = StreamReaderProtocol::ClientConnected;
/// client_connected_cb as asyncio takes it: a coroutine function (returning Coro<void>),
/// whose coroutine runs as a task, or a plain function (returning void), which is called in
/// connection_made itself. A plain function that keeps no copy of the writer lets the
/// connection close, as when a coroutine callback drops it (see hand_out).
template <class Callback>
ClientConnected client_connected(Callback cb) {
  using Result =
      std::invoke_result_t<Callback&, std::shared_ptr<StreamReader>, std::shared_ptr<StreamWriter>>;
  if constexpr (std::is_convertible_v<Result, std::optional<Coro<void>>>) {
    return ClientConnected(std::move(cb));
  } else {
    static_assert(std::is_void_v<Result>, "client_connected_cb returns Coro<void> or nothing");
    return [cb = std::move(cb)](std::shared_ptr<StreamReader> reader,
                                std::shared_ptr<StreamWriter> writer) mutable {
      cb(std::move(reader), std::move(writer));
      return std::optional<Coro<void>>();
    };
  }
}
Coro<std::shared_ptr<Server>> start_stream_server(ClientConnected client_connected, Hosts host,
                                                  std::optional<int> port, ServerOptions options);
Coro<std::shared_ptr<Server>> start_unix_stream_server(ClientConnected client_connected,
                                                       std::string path, ServerOptions options);
}  // namespace detail

template <class Callback>
Coro<std::shared_ptr<Server>> start_server(Callback client_connected, Hosts host, int port,
                                           ServerOptions options = {}) {
  return detail::start_stream_server(detail::client_connected(std::move(client_connected)),
                                     std::move(host), port, std::move(options));
}
template <class Callback>
Coro<std::shared_ptr<Server>> start_server(Callback client_connected, ServerOptions options = {}) {
  return detail::start_stream_server(detail::client_connected(std::move(client_connected)), Hosts(),
                                     std::nullopt, std::move(options));
}
template <class Callback>
Coro<std::shared_ptr<Server>> start_unix_server(Callback client_connected, std::string path,
                                                ServerOptions options = {}) {
  return detail::start_unix_stream_server(detail::client_connected(std::move(client_connected)),
                                          std::move(path), std::move(options));
}

}  // namespace asyncio
ASYNCIO_CPP_API_END
