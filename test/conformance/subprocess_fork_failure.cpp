// Mirrors CPython test_subprocess (test_preexec_fork_failure / the fork-failure paths of
// _posixsubprocess) through asyncio: when RLIMIT_NPROC forbids one more process,
// create_subprocess_exec raises BlockingIOError (EAGAIN), no fd is left open and nothing
// was started. Needs root to drop to an unprivileged user; otherwise says it was skipped.
#include <asyncio/asyncio.hpp>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <string>
#include <system_error>

#include "proc_trace.hpp"
#include "trace.hpp"

using asyncio::Coro;

std::set<std::string> fds() {
  std::set<std::string> out;
  DIR* d = ::opendir("/proc/self/fd");
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') out.insert(e->d_name);
  ::closedir(d);
  return out;  // the listing's own fd is in it, as in os.listdir's
}

Coro<> amain() {
  auto before = fds();
  try {
    asyncio::SubprocessOptions options;
    options.stdout_ = asyncio::PIPE;
    co_await asyncio::create_subprocess_exec("true", std::vector<std::string>{}, options);
    trace::print("started a child: the limit did not hold");
  } catch (const asyncio::OSError& e) {
    trace::print("create_subprocess_exec:", trace::type_name(e), "errno", e.code().value());
  }
  trace::print("fds back to where they were:", fds() == before);
}

int main() {
  if (::geteuid() != 0) {
    trace::print("skipped: not root");
    return 0;
  }
  // root ignores RLIMIT_NPROC; nobody does not.
  if (::setgid(65534) != 0 || ::setuid(65534) != 0) return 1;
  rlimit saved{};
  ::getrlimit(RLIMIT_NPROC, &saved);
  rlimit one{1, saved.rlim_max};  // the hard limit stays: the soft one can come back
  ::setrlimit(RLIMIT_NPROC, &one);
  asyncio::run(amain());
  ::setrlimit(RLIMIT_NPROC, &saved);  // a sanitizer's exit checks may need a process
}
