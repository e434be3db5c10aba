// Writes that can raise SIGPIPE without MSG_NOSIGNAL: write(2) to a pipe and sendfile(2).
// CPython ignores SIGPIPE process-wide at startup. Two mechanisms, each where it fits
// (docs/07-security.md):
// - sendfile(2) runs with SIGPIPE blocked on the calling thread, and a SIGPIPE it raised is
//   consumed before the mask is restored: no process-wide change for a plain TCP server, and
//   two syscalls are nothing beside a file transfer.
// - Pipe writes are small and many; two more syscalls each made a 4 KiB write 26% slower. So
//   the first pipe transport or child sets SIGPIPE to SIG_IGN, only if it is still SIG_DFL (a
//   handler of the user's is kept), as asyncio-cpp always did for pipes.
#pragma once

#include <sys/types.h>

namespace asyncio::detail {

// Blocks SIGPIPE on this thread; false when it was blocked already (then nothing to undo).
bool block_sigpipe() noexcept;
// Consumes the SIGPIPE a failed call raised (when `raised`), then unblocks it; keeps errno.
void unblock_sigpipe(bool raised) noexcept;

// Where a write pipe or a child is made: SIG_IGN if the disposition is still SIG_DFL.
void ignore_sigpipe() noexcept;

template <class Call>
ssize_t without_sigpipe(Call&& call) {
  const bool blocked = block_sigpipe();
  const ssize_t n = call();
  if (blocked) unblock_sigpipe(n < 0);
  return n;
}

}  // namespace asyncio::detail
