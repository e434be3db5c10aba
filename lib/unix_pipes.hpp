// The write-buffer bookkeeping shared by write transports (transports._FlowControlMixin).
#pragma once

#include "exception_is.hpp"

#include <asyncio/coroutines.hpp>
#include <asyncio/events.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/protocols.hpp>
#include <asyncio/transports.hpp>

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

namespace asyncio::detail {

// Write buffer limits and the pause/resume calls they drive; the owner reports its size.
class WriteFlowControl {
 public:
  // `default_kb`: the high-water mark when none is given; `at_high`: pause once the size
  // reaches it (sslproto) rather than once it exceeds it (selector transports).
  explicit WriteFlowControl(std::size_t default_kb = 64, bool at_high = false)
      : default_kb_(default_kb), high_(default_kb * 1024), low_(high_ / 4), at_high_(at_high) {}
  void set_limits(std::optional<std::size_t> high, std::optional<std::size_t> low);
  std::pair<std::size_t, std::size_t> limits() const { return {low_, high_}; }
  void maybe_pause(std::size_t size, EventLoop& loop, const std::shared_ptr<BaseTransport>& t,
                   const std::shared_ptr<BaseProtocol>& p);
  bool paused() const noexcept { return paused_; }
  void maybe_resume(std::size_t size, EventLoop& loop, const std::shared_ptr<BaseTransport>& t,
                    const std::shared_ptr<BaseProtocol>& p);

 private:
  std::size_t default_kb_;
  std::size_t high_;
  std::size_t low_;
  bool at_high_;
  bool paused_ = false;
};

// pause_reading / resume_reading of the read transports (_SelectorTransport,
// _UnixReadPipeTransport): pausing drops the fd's reader; resuming says whether the caller
// must add it back.
inline bool is_reading(bool closing, bool paused) {
  return !paused && !closing;
}
inline void pause_reader(EventLoop& loop, int fd, bool closing, bool& paused) {
  if (!is_reading(closing, paused)) return;
  paused = true;
  OwnerWatch{loop}.remove_reader(fd);
}
inline bool resume_reader(bool closing, bool& paused) {
  if (closing || !paused) return false;
  paused = false;
  return true;
}

// A byte queue that drops from the front without moving what remains each time.
class ByteBuffer {
 public:
  bool empty() const noexcept { return size() == 0; }
  std::size_t size() const noexcept { return data_.size() - start_; }
  std::string_view view() const noexcept { return std::string_view(data_).substr(start_); }
  void append(std::string_view bytes) { data_.append(bytes); }
  void consume(std::size_t n);
  // Gives back what a burst left allocated once at most `low_water` bytes wait: a connection
  // that once buffered 100 MiB must not hold 100 MiB for the rest of its life.
  void release_spare(std::size_t low_water, std::size_t high_water);
  std::size_t capacity() const noexcept { return data_.capacity(); }
  void clear() noexcept {
    data_.clear();
    start_ = 0;
  }

 private:
  std::string data_;
  std::size_t start_ = 0;
};

// Awaits `waiter` and gives back the exception it ended with (cancellation included), or
// null: the caller then closes what it made before rethrowing, as asyncio's `except:` does.
Coro<std::exception_ptr> await_outcome(Future<void> waiter);

inline bool is_os_error(const std::exception_ptr& exc) {  // an OSError (SSLError included)?
  return exception_is<OSError>(exc);
}
// How a transport's _fatal_error reports: an OSError is logged in debug mode only; anything
// else reaches the exception handler with the transport and protocol.
void report_fatal_error(EventLoop& loop, std::exception_ptr exc, const char* message,
                        std::shared_ptr<BaseTransport> transport,
                        std::shared_ptr<BaseProtocol> protocol);

}  // namespace asyncio::detail
