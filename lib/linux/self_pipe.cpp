#include "linux/self_pipe.hpp"

#include <asyncio/exceptions.hpp>

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <system_error>

namespace asyncio::detail {

SelfPipe::SelfPipe() {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    throw_os_error(errno);
  }
  read_fd_ = fds[0];
  write_fd_ = fds[1];
}

SelfPipe::~SelfPipe() {
  close();
}

void SelfPipe::write_byte(std::uint8_t byte) const noexcept {
  int saved = errno;  // signal handlers must not disturb the interrupted code
  ssize_t r;
  do {
    r = ::write(write_fd_, &byte, 1);
  } while (r < 0 && errno == EINTR);
  errno = saved;
}

std::size_t SelfPipe::read_some(std::uint8_t* buf, std::size_t len) noexcept {
  for (;;) {
    ssize_t n = ::read(read_fd_, buf, len);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return 0;  // EAGAIN: empty
  }
}

void SelfPipe::close() noexcept {
  if (read_fd_ >= 0) ::close(read_fd_);
  if (write_fd_ >= 0) ::close(write_fd_);
  read_fd_ = write_fd_ = -1;
}

}  // namespace asyncio::detail
