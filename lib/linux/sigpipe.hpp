// Writes that can raise SIGPIPE without MSG_NOSIGNAL: write(2) to a pipe and sendfile(2).
// CPython ignores SIGPIPE process-wide at startup; a library must not change a process-wide
// disposition (children started by the user's own fork/exec would inherit SIG_IGN), so each
// such call runs with SIGPIPE blocked on the calling thread, and a SIGPIPE it raised is
// consumed before the mask is restored. The caller sees only EPIPE (BrokenPipeError).
#pragma once

#include <sys/types.h>

namespace asyncio::detail {

// Blocks SIGPIPE on this thread; false when it was blocked already (then nothing to undo).
bool block_sigpipe() noexcept;
// Consumes the SIGPIPE a failed call raised (when `raised`), then unblocks it; keeps errno.
void unblock_sigpipe(bool raised) noexcept;

template <class Call>
ssize_t without_sigpipe(Call&& call) {
  const bool blocked = block_sigpipe();
  const ssize_t n = call();
  if (blocked) unblock_sigpipe(n < 0);
  return n;
}

}  // namespace asyncio::detail
