// The self-pipe: wakes the loop from other threads and from signal handlers.
// Byte 0 is a wakeup; any other byte is a signal number, as signal.set_wakeup_fd writes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace asyncio::detail {

class SelfPipe {
 public:
  SelfPipe();  // pipe2(O_NONBLOCK | O_CLOEXEC); throws std::system_error
  ~SelfPipe();
  SelfPipe(const SelfPipe&) = delete;
  SelfPipe& operator=(const SelfPipe&) = delete;

  int read_fd() const noexcept { return read_fd_; }
  int write_fd() const noexcept { return write_fd_; }

  // Async-signal-safe; a full pipe (EAGAIN) already holds a pending wakeup.
  void write_byte(std::uint8_t byte) const noexcept;

  // Reads everything available, handing each non-zero byte to on_signal.
  template <class OnSignal>
  void drain(OnSignal&& on_signal) {
    std::uint8_t buf[4096];
    std::size_t n;
    do {
      n = read_some(buf, sizeof buf);
      for (std::size_t i = 0; i < n; ++i) {
        if (buf[i] != 0) on_signal(static_cast<int>(buf[i]));
      }
    } while (n == sizeof buf);  // a short read emptied the pipe
  }

  // Closes both ends, once.
  void close() noexcept;

 private:
  std::size_t read_some(std::uint8_t* buf, std::size_t len) noexcept;
  int read_fd_ = -1;
  int write_fd_ = -1;
};

}  // namespace asyncio::detail
