#include "linux/sigpipe.hpp"

#include <cerrno>
#include <csignal>
#include <ctime>

#include <pthread.h>

namespace asyncio::detail {

namespace {

sigset_t only_sigpipe() noexcept {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  return set;
}

}  // namespace

void ignore_sigpipe() noexcept {
  // Checked at each creation, not once: the user may have put SIG_DFL back since.
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
    ::signal(SIGPIPE, SIG_IGN);
}

bool block_sigpipe() noexcept {
  const sigset_t set = only_sigpipe();
  sigset_t old;
  if (::pthread_sigmask(SIG_BLOCK, &set, &old) != 0) return false;
  return sigismember(&old, SIGPIPE) == 0;
}

void unblock_sigpipe(bool raised) noexcept {
  const int saved = errno;
  const sigset_t set = only_sigpipe();
  // EPIPE raised SIGPIPE at this thread; with the signal unblocked before the call, no other
  // SIGPIPE could have been pending here, so the one consumed is ours.
  if (raised && saved == EPIPE) {
    const timespec now{};
    while (::sigtimedwait(&set, nullptr, &now) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  errno = saved;
}

}  // namespace asyncio::detail
