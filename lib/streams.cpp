// asyncio.streams: StreamReader's buffer and waiter, and stream flow control.
#include <asyncio/exceptions.hpp>
#include <asyncio/log.hpp>
#include <asyncio/streams.hpp>
#include <asyncio/tasks.hpp>

#include "sites.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <typeinfo>

namespace asyncio {

// ---------------------------------------------------------------- ReadBuffer

void detail::ReadBuffer::make_room(std::size_t min_free) {
  if (capacity_ - end_ >= min_free) return;
  std::size_t used = size();
  // Sliding the data to the front is cheap while it fills at most half the block;
  // otherwise doubling keeps appends amortised O(1).
  if (capacity_ - used >= min_free && used <= capacity_ / 2) {
    std::memmove(data_.get(), data_.get() + begin_, used);
  } else {
    std::size_t capacity = std::max(capacity_ * 2, used + min_free);
    std::unique_ptr<char[]> data(new char[capacity]);  // uninitialised on purpose
    if (used > 0) std::memcpy(data.get(), data_.get() + begin_, used);
    data_ = std::move(data);
    capacity_ = capacity;
  }
  begin_ = 0;
  end_ = used;
}

void detail::ReadBuffer::append(std::string_view data) {
  make_room(data.size());
  std::memcpy(data_.get() + end_, data.data(), data.size());
  end_ += data.size();
}

std::span<char> detail::ReadBuffer::prepare(std::size_t min_free) {
  make_room(min_free);
  return {data_.get() + end_, capacity_ - end_};
}

// ---------------------------------------------------------------- StreamReader

// What a socket transport reads at once for a plain Protocol (selector_events' max_size):
// reading into the reader's buffer takes no more recv() calls than that.
constexpr std::size_t read_chunk = 256 * 1024;

StreamReader::StreamReader(std::size_t limit) : StreamReader(limit, get_running_loop()) {}

StreamReader::StreamReader(std::size_t limit, EventLoop& loop) : loop_(loop), limit_(limit) {
  if (limit == 0) throw std::invalid_argument("Limit cannot be <= 0");
}

void StreamReader::set_exception(std::exception_ptr exc) {
  exception_ = exc;
  if (auto waiter = std::exchange(waiter_, std::nullopt); waiter && !waiter->cancelled())
    waiter->set_exception(exc);
}

void StreamReader::wakeup_waiter() {
  if (auto waiter = std::exchange(waiter_, std::nullopt); waiter && !waiter->cancelled())
    waiter->set_result();
}

void StreamReader::set_transport(std::shared_ptr<ReadTransport> transport) {
  if (transport_) throw std::logic_error("Transport already set");
  transport_ = std::move(transport);
}

void StreamReader::maybe_resume_transport() {
  if (paused_ && buffered() <= limit_) {
    paused_ = false;
    transport_->resume_reading();
  }
}

void StreamReader::feed_eof() {
  eof_ = true;
  wakeup_waiter();
}

void StreamReader::feed_data(std::string_view data) {
  if (eof_) throw std::logic_error("feed_data after feed_eof");
  if (data.empty()) return;
  buffer_.append(data);
  data_arrived();
}

// A transport asks for the buffer before it knows whether data came (TLS asks after the
// peer's close_notify too), so only data after EOF is an error, as in feed_data.
std::span<char> StreamReader::free_tail() {
  // One read at most: the whole free tail could be megabytes, past the documented bound.
  return buffer_.prepare(read_chunk).first(read_chunk);
}

void StreamReader::tail_filled(std::size_t n) {
  if (n == 0) return;
  if (eof_) throw std::logic_error("feed_data after feed_eof");
  buffer_.commit(n);
  data_arrived();
}

void StreamReader::data_arrived() {
  wakeup_waiter();
  if (transport_ && !paused_ && buffered() > 2 * limit_) {
    transport_->pause_reading();
    paused_ = true;
  }
}

std::string StreamReader::take(std::size_t n) {
  std::string out(view().substr(0, n));
  consume(out.size());
  return out;
}

// Awaits the reader's waiter; its destructor is asyncio's `finally: self._waiter = None`,
// which runs when the co_await ends, whether by result, error or the frame's destruction.
class StreamReader::DataWait {
 public:
  DataWait(StreamReader& reader, Future<void> waiter)
      : reader_(reader), inner_(waiter.operator co_await()) {}
  DataWait(const DataWait&) = delete;
  DataWait& operator=(const DataWait&) = delete;
  ~DataWait() { reader_.waiter_.reset(); }
  bool await_ready() const noexcept { return inner_.await_ready(); }
  void await_suspend(std::coroutine_handle<> h) { inner_.await_suspend(h); }
  void await_resume() { inner_.await_resume(); }

 private:
  StreamReader& reader_;
  decltype(std::declval<const Future<void>&>().operator co_await()) inner_;
};

StreamReader::DataWait StreamReader::wait_for_data(const char* func_name) {
  if (waiter_)
    throw RuntimeError(std::string(func_name) +
                       "() called while another coroutine is already waiting for incoming data");
  if (paused_) {
    paused_ = false;
    transport_->resume_reading();
  }
  Future<void> waiter = loop_.create_future<void>();
  waiter_ = waiter;
  return DataWait(*this, std::move(waiter));  // guaranteed elision: one destructor
}

Coro<std::string> StreamReader::readline() {
  std::string line;
  try {
    line = co_await readuntil("\n");
  } catch (const IncompleteReadError& e) {
    co_return e.partial;
  } catch (const LimitOverrunError& e) {
    if (view().substr(e.consumed, 1) == "\n")
      consume(e.consumed + 1);
    else
      consume(buffered());
    maybe_resume_transport();
    throw std::invalid_argument(e.what());
  }
  co_return line;
}

Coro<std::string> StreamReader::readuntil(std::string separator) {
  std::vector<std::string> one;
  one.push_back(std::move(separator));
  co_return co_await readuntil(std::move(one));
}

// 3.13's form: the match that ends first wins; at equal ends, the shortest separator.
Coro<std::string> StreamReader::readuntil(std::vector<std::string> separators) {
  std::sort(separators.begin(), separators.end(),
            [](const auto& a, const auto& b) { return a.size() < b.size(); });
  if (separators.empty())
    throw std::invalid_argument("Separator should contain at least one element");
  if (separators.front().empty())
    throw std::invalid_argument("Separator should be at least one-byte string");
  if (exception_) std::rethrow_exception(exception_);
  std::size_t min_len = separators.front().size();
  std::size_t max_len = separators.back().size();
  std::size_t offset = 0;
  std::size_t match_start = 0;
  std::size_t match_end = 0;
  while (true) {
    std::size_t buflen = buffered();
    if (buflen >= offset + min_len) {
      for (const auto& sep : separators) {
        std::size_t at = view().find(sep, offset);
        if (at != std::string_view::npos && (match_end == 0 || at + sep.size() < match_end)) {
          match_start = at;
          match_end = at + sep.size();
        }
      }
      if (match_end != 0) break;
      offset = buflen + 1 > max_len ? buflen + 1 - max_len : 0;
      if (offset > limit_)
        throw LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
    }
    if (eof_) throw IncompleteReadError(take(buffered()), std::nullopt);
    co_await wait_for_data("readuntil");
  }
  if (match_start > limit_)
    throw LimitOverrunError("Separator is found, but chunk is longer than limit", match_start);
  std::string chunk = take(match_end);
  maybe_resume_transport();
  co_return chunk;
}

Coro<std::string> StreamReader::read(std::ptrdiff_t n) {
  if (exception_) std::rethrow_exception(exception_);
  if (n == 0) co_return std::string();
  if (n < 0) {
    std::string all;
    while (true) {
      std::string block = co_await read(static_cast<std::ptrdiff_t>(limit_));
      if (block.empty()) break;
      all += block;
    }
    co_return all;
  }
  if (buffered() == 0 && !eof_) co_await wait_for_data("read");
  std::string data = take(static_cast<std::size_t>(n));
  maybe_resume_transport();
  co_return data;
}

Coro<std::string> StreamReader::readexactly(std::ptrdiff_t n) {
  if (n < 0) throw std::invalid_argument("readexactly size can not be less than zero");
  if (exception_) std::rethrow_exception(exception_);
  auto want = static_cast<std::size_t>(n);
  if (want == 0) co_return std::string();
  while (buffered() < want) {
    if (eof_) throw IncompleteReadError(take(buffered()), want);
    co_await wait_for_data("readexactly");
  }
  std::string data = take(want);
  maybe_resume_transport();
  co_return data;
}

Coro<std::optional<std::string>> StreamReader::anext() {
  std::string line = co_await readline();
  if (line.empty()) co_return std::nullopt;
  co_return line;
}

Coro<std::optional<std::string>> detail::StreamLines::next_line(std::shared_ptr<StreamReader> owner,
                                                                StreamReader* reader,
                                                                std::shared_ptr<bool> ended) {
  (void)owner;  // held for the await
  std::optional<std::string> line = co_await reader->anext();
  if (!line) *ended = true;
  co_return line;
}

// ---------------------------------------------------------------- flow control

void FlowControlMixin::pause_writing() {
  paused_ = true;
}

void FlowControlMixin::resume_writing() {
  paused_ = false;
  for (auto& waiter : drain_waiters_)
    if (!waiter.done()) waiter.set_result();
}

void FlowControlMixin::connection_lost(std::exception_ptr exc) {
  connection_lost_ = true;
  if (!paused_) return;
  for (auto& waiter : drain_waiters_) {
    if (waiter.done()) continue;
    if (exc)
      waiter.set_exception(exc);
    else
      waiter.set_result();
  }
}

Coro<void> FlowControlMixin::drain_helper() {
  if (connection_lost_) throw ConnectionResetError("Connection lost");
  if (!paused_) co_return;
  Future<void> waiter = loop_.create_future<void>();
  drain_waiters_.push_back(waiter);
  struct Remove {
    std::deque<Future<void>>& waiters;
    Future<void>& waiter;
    ~Remove() {
      for (auto it = waiters.begin(); it != waiters.end(); ++it)
        if (*it == waiter) {
          waiters.erase(it);
          break;
        }
    }
  } remove{drain_waiters_, waiter};
  co_await waiter;
}

// ---------------------------------------------------------------- StreamWriter

StreamWriter::StreamWriter(std::shared_ptr<WriteTransport> transport,
                           std::shared_ptr<FlowControlMixin> protocol,
                           std::shared_ptr<StreamReader> reader, EventLoop& loop)
    : transport_(std::move(transport)),
      protocol_(protocol),
      protocol_ptr_(protocol.get()),
      reader_(std::move(reader)),
      loop_(loop),
      closed_(protocol->get_close_waiter(*this)) {
  if (loop.get_debug()) created_ = detail::current_creation_site();
}

EventLoop& StreamWriter::get_loop() const {
  return closed_.get_loop();  // the close waiter's loop is this writer's
}

std::string StreamWriter::repr() const {
  return "<StreamWriter transport=" + transport_->repr() + ">";
}

void StreamWriter::close_abandoned() noexcept {
  try {
    // Once the loop has closed, so has the transport (or it must not be touched any more).
    if (closed_.state_ptr()->anchor->loop == nullptr || loop_.is_closed()) return;  // see get_loop
    if (transport_->is_closing()) return;
    transport_->close();
    if (loop_.get_debug()) {  // after closing, as asyncio
      log(LogLevel::warning, "unclosed " + repr() + detail::allocated_at(created_));
    }
  } catch (...) {  // a debug-mode thread check, say: nothing to report it to from here
  }
}

namespace detail {
namespace {
struct WriterOwner {  // what the user's copies of a writer share
  explicit WriterOwner(std::shared_ptr<StreamWriter> w) : writer(std::move(w)) {}
  WriterOwner(const WriterOwner&) = delete;
  WriterOwner& operator=(const WriterOwner&) = delete;
  ~WriterOwner() { writer->close_abandoned(); }
  std::shared_ptr<StreamWriter> writer;
};
}  // namespace

StreamPair_t hand_out(std::shared_ptr<StreamReader> reader, std::shared_ptr<StreamWriter> writer) {
  auto owner = std::make_shared<WriterOwner>(std::move(writer));
  return {std::move(reader), std::shared_ptr<StreamWriter>(owner, owner->writer.get())};
}
}  // namespace detail

std::shared_ptr<FlowControlMixin> StreamWriter::protocol() const {
  auto p = protocol_.lock();
  if (!p) throw ConnectionResetError("Connection lost");
  return p;
}

Coro<void> StreamWriter::wait_closed() {
  Future<void> closed = closed_;  // kept: the protocol may be gone by now
  co_await closed;
}

Coro<void> StreamWriter::drain() {
  if (reader_ && reader_->exception()) std::rethrow_exception(reader_->exception());
  if (transport_->is_closing()) co_await sleep(0);  // let connection_lost run first
  // The common case takes no reference: expired() is a plain load, and on the loop's one
  // thread nothing can free the protocol before drain_ready() returns.
  if (!protocol_.expired() && protocol_ptr_->drain_ready()) co_return;
  std::shared_ptr<FlowControlMixin> p = protocol();  // kept alive while drain_helper waits
  co_await p->drain_helper();
}

Coro<void> StreamWriter::start_tls(std::shared_ptr<boost::asio::ssl::context> sslcontext,
                                   StartTLSOptions options) {
  auto stream_protocol = std::dynamic_pointer_cast<StreamReaderProtocol>(protocol());
  if (!stream_protocol) throw std::invalid_argument("start_tls() needs a StreamReaderProtocol");
  options.server_side = stream_protocol->is_server_side();
  co_await drain();
  auto plain = std::dynamic_pointer_cast<Transport>(transport_);
  if (!plain) throw std::invalid_argument("start_tls() needs a socket transport");
  std::shared_ptr<Transport> tls =
      co_await loop_.start_tls(plain, stream_protocol, std::move(sslcontext), options);
  transport_ = tls;
  stream_protocol->replace_transport(tls);
}

// ---------------------------------------------------------------- StreamReaderProtocol

StreamReaderProtocol::StreamReaderProtocol(std::shared_ptr<StreamReader> reader,
                                           ClientConnected client_connected, EventLoop& loop)
    : FlowControlMixin(loop),
      reader_(std::move(reader)),
      client_connected_(std::move(client_connected)),
      closed_(loop.create_future<void>()) {}

void StreamReaderProtocol::connection_made(std::shared_ptr<BaseTransport> transport) {
  transport_ = transport;
  auto read_side = std::dynamic_pointer_cast<ReadTransport>(transport);
  if (reader_ && read_side) reader_->set_transport(read_side);
  over_ssl_ = transport->get_extra_info("sslcontext").has_value();
  if (!client_connected_) return;
  auto self = std::dynamic_pointer_cast<FlowControlMixin>(transport->get_protocol());
  writer_ = std::make_shared<StreamWriter>(std::dynamic_pointer_cast<WriteTransport>(transport),
                                           self, reader_, loop_);
  auto [reader, writer] = detail::hand_out(reader_, writer_);  // closed once `writer` is gone
  // A plain function has done its work by now; a coroutine function's coroutine runs on.
  std::optional<Coro<void>> coro = client_connected_(std::move(reader), std::move(writer));
  if (!coro) return;
  Task<void> task = loop_.create_task(std::move(*coro));
  task.add_done_callback([transport, &loop = loop_](Future<void> done) {
    if (done.cancelled() || !done.exception()) return;
    ExceptionContext ctx;
    ctx.message = "Unhandled exception in client_connected_cb";
    ctx.exception = done.exception();
    ctx.transport = transport;
    loop.call_exception_handler(ctx);
    transport->close();
  });
}

void StreamReaderProtocol::connection_lost(std::exception_ptr exc) {
  if (reader_) {
    if (exc)
      reader_->set_exception(exc);
    else
      reader_->feed_eof();
  }
  if (!closed_.done()) {
    if (exc) {
      closed_.set_exception(exc);
      closed_.state_ptr()->log_traceback = false;  // wait_closed() is optional
    } else {
      closed_.set_result();
    }
  }
  FlowControlMixin::connection_lost(exc);
  reader_.reset();  // asyncio drops these here: it breaks the protocol/writer cycle
  writer_.reset();
  transport_.reset();
}

void StreamReaderProtocol::data_received(std::string_view data) {
  if (reader_) reader_->feed_data(data);
}

// A subclass may override data_received, as Python code does; reading past it into the
// reader would skip the override, so a subclass's reads go through data_received.
constexpr std::size_t relay_size = 64 * 1024;

std::span<char> StreamReaderProtocol::get_buffer(std::ptrdiff_t) {
  if (typeid(*this) != typeid(StreamReaderProtocol)) {
    if (!relay_) relay_.reset(new char[relay_size]);
    return {relay_.get(), relay_size};
  }
  if (reader_) return reader_->free_tail();
  static thread_local char discarded[16 * 1024];  // no reader: data_received drops it too
  return discarded;
}

void StreamReaderProtocol::buffer_updated(std::size_t nbytes) {
  if (relay_)
    data_received(std::string_view(relay_.get(), nbytes));
  else if (reader_)
    reader_->tail_filled(nbytes);
}

bool StreamReaderProtocol::eof_received() {
  if (reader_) reader_->feed_eof();
  return !over_ssl_;  // half-open, except over TLS, which cannot be
}

void StreamReaderProtocol::replace_transport(const std::shared_ptr<Transport>& transport) {
  transport_ = transport;  // the reader keeps pausing the socket below, as in asyncio
  over_ssl_ = transport->get_extra_info("sslcontext").has_value();
}

// ---------------------------------------------------------------- opening streams

static Coro<StreamPair> open_stream(bool unix_socket, std::optional<std::string> where,
                                    std::optional<int> port, ConnectionOptions options) {
  EventLoop& loop = get_running_loop();
  auto reader = std::make_shared<StreamReader>(options.limit, loop);
  auto factory = [reader, &loop] {
    return std::make_shared<StreamReaderProtocol>(reader, nullptr, loop);
  };
  std::pair<std::shared_ptr<Transport>, std::shared_ptr<StreamReaderProtocol>> made;
  if (unix_socket)
    made = co_await loop.create_unix_connection(factory, where.value_or(""), options);
  else if (where || port)
    made = co_await loop.create_connection(factory, std::move(where), port.value_or(0), options);
  else
    made = co_await loop.create_connection(factory, options);
  auto writer = std::make_shared<StreamWriter>(made.first, made.second, reader, loop);
  co_return detail::hand_out(std::move(reader), std::move(writer));  // closed once it is gone
}

Coro<StreamPair> open_connection(std::optional<std::string> host, int port,
                                 ConnectionOptions options) {
  return open_stream(false, std::move(host), port, options);
}

Coro<StreamPair> open_connection(ConnectionOptions options) {
  return open_stream(false, std::nullopt, std::nullopt, options);
}

Coro<StreamPair> open_unix_connection(std::string path, ConnectionOptions options) {
  return open_stream(true, std::move(path), std::nullopt, options);
}

static auto stream_server_factory(StreamReaderProtocol::ClientConnected cb, std::size_t limit) {
  EventLoop& loop = get_running_loop();
  return [cb = std::move(cb), limit, &loop] {
    return std::make_shared<StreamReaderProtocol>(std::make_shared<StreamReader>(limit, loop), cb,
                                                  loop);
  };
}

// Coroutines, so that the running loop is looked up when they run, as in asyncio.
Coro<std::shared_ptr<Server>> detail::start_stream_server(ClientConnected client_connected,
                                                          Hosts host, std::optional<int> port,
                                                          ServerOptions options) {
  // Named first: GCC 12 destroys a capturing lambda temporary twice inside co_await.
  auto factory = stream_server_factory(std::move(client_connected), options.limit);
  EventLoop& loop = get_running_loop();
  if (host.given() || port)
    co_return co_await loop.create_server(std::move(factory), std::move(host), port.value_or(0),
                                          options);
  co_return co_await loop.create_server(std::move(factory), options);
}

Coro<std::shared_ptr<Server>> detail::start_unix_stream_server(ClientConnected client_connected,
                                                               std::string path,
                                                               ServerOptions options) {
  auto factory = stream_server_factory(std::move(client_connected), options.limit);
  co_return co_await get_running_loop().create_unix_server(std::move(factory), std::move(path),
                                                           options);
}

}  // namespace asyncio
