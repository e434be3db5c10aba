// Why not posix_spawn alone: glibc 2.36's child asks the kernel about each of the 64
// signals (about 120 rt_sigaction calls per launch) while the parent waits, and the parent
// maps and unmaps a stack for it each time. CLONE_CLEAR_SIGHAND (Linux 5.5) resets every
// handled signal within clone3 itself, and a child that never returns can run below our
// stack pointer, as vfork's does. Either saving is paid once per child on the loop thread.
//
// The child shares our memory until it execs, so it only reads the plan, makes raw system
// calls (errno and sanitizer interceptors belong to the parent) and reports a failure in
// ChildRun before it exits.
#include "linux/clone3_spawn.hpp"

#include <asyncio/exceptions.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <string>
#include <system_error>

namespace asyncio::detail {

#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)

namespace {

// struct clone_args of <linux/sched.h>, version 0; that header clashes with <sched.h>.
struct CloneArgs {
  std::uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};
constexpr std::uint64_t kCloneVm = 0x100, kCloneVfork = 0x4000;
constexpr std::uint64_t kCloneClearSighand = 0x100000000ULL;

enum class Stage { signals, session, fds, cwd, exec };

struct ChildRun {
  const ChildPlan* plan;
  std::uint64_t parent_mask = 0;  // restored in the child just before exec
  int err = 0;                    // written by a child that could not exec
  Stage stage = Stage::exec;
};

// clone3 with fn(arg) run in the child, which then exits with its result. The child's
// return address and frames go below the parent's stack pointer: the parent sleeps
// (CLONE_VFORK) until the child has exec'd or exited, and nothing above is touched.
extern "C" long asyncio_clone3_run(CloneArgs* args, std::size_t size, int (*fn)(void*), void* arg);
asm(R"(
    .pushsection .text
    .type asyncio_clone3_run, @function
asyncio_clone3_run:
    mov %rdx, %r8
    mov %rcx, %r9
    mov $435, %eax
    syscall
    test %rax, %rax
    jnz 1f
    xor %ebp, %ebp
    and $-16, %rsp
    mov %r9, %rdi
    call *%r8
    mov %eax, %edi
    mov $231, %eax
    syscall
    hlt
1:  ret
    .size asyncio_clone3_run, .-asyncio_clone3_run
    .popsection
)");

[[gnu::always_inline]] inline long sys(long nr, long a = 0, long b = 0, long c = 0, long d = 0) {
  long ret;
  register long r10 asm("r10") = d;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
               : "rcx", "r11", "memory");
  return ret;
}

template <typename T>
long arg(T* p) {
  return reinterpret_cast<long>(p);
}

// The child runs no sanitizer checks: their state belongs to the parent.
#define ASYNCIO_CHILD_CODE gnu::noinline, gnu::no_sanitize("address", "undefined")

[[noreturn, ASYNCIO_CHILD_CODE]] void child_fail(ChildRun& run, Stage stage, long rc) {
  run.err = static_cast<int>(-rc);
  run.stage = stage;
  for (;;) sys(SYS_exit_group, 127);
}

[[ASYNCIO_CHILD_CODE]] long carry_out(const FdAction& a) {
  switch (a.kind) {
    case FdAction::dup2:
      if (a.source == a.target) return sys(SYS_fcntl, a.source, F_SETFD, 0);
      return sys(SYS_dup2, a.source, a.target);
    case FdAction::open_devnull: {
      long fd = sys(SYS_openat, AT_FDCWD, arg("/dev/null"), O_RDWR);
      if (fd < 0 || fd == a.target) return fd;
      long rc = sys(SYS_dup2, fd, a.target);
      sys(SYS_close, fd);
      return rc;
    }
    case FdAction::close_range:
      return sys(SYS_close_range, a.source, a.target, 0);
  }
  return -EINVAL;
}

// Exec each candidate in turn, as execvpe: a miss moves on, and EACCES is reported over
// ENOENT if nothing runs.
[[noreturn, ASYNCIO_CHILD_CODE]] void child_exec(ChildRun& run, const ChildPlan& plan) {
  long saved = 0;
  for (std::size_t i = 0; i < plan.path_count; ++i) {
    long rc = sys(SYS_execve, arg(plan.paths[i]), arg(plan.argv), arg(plan.envp));
    bool miss = rc == -ENOENT || rc == -ENOTDIR || rc == -EACCES;
    if (!plan.search || !miss) child_fail(run, Stage::exec, rc);
    if (rc == -EACCES && saved == 0) saved = rc;
  }
  child_fail(run, Stage::exec, saved != 0 ? saved : -ENOENT);
}

// In posix_spawn's order: signals, session, fds, then the caller's mask back and exec.
// SIGPIPE and SIGXFSZ go back to their defaults, as subprocess's restore_signals.
[[ASYNCIO_CHILD_CODE]] int run_child(void* p) {
  ChildRun& run = *static_cast<ChildRun*>(p);
  const ChildPlan& plan = *run.plan;
  struct {
    unsigned long handler = 0, flags = 0, restorer = 0, mask = 0;  // SIG_DFL
  } dfl;
  for (int sig : {SIGPIPE, SIGXFSZ})
    if (long rc = sys(SYS_rt_sigaction, sig, arg(&dfl), 0, 8); rc < 0)
      child_fail(run, Stage::signals, rc);
  if (long rc = plan.new_session ? sys(SYS_setsid) : 0; rc < 0) child_fail(run, Stage::session, rc);
  if (long rc = plan.process_group >= 0 ? sys(SYS_setpgid, 0, plan.process_group) : 0; rc < 0)
    child_fail(run, Stage::session, rc);
  for (std::size_t i = 0; i < plan.fd_action_count; ++i)
    if (long rc = carry_out(plan.fd_actions[i]); rc < 0) child_fail(run, Stage::fds, rc);
  if (long rc = plan.cwd != nullptr ? sys(SYS_chdir, arg(plan.cwd)) : 0; rc < 0)
    child_fail(run, Stage::cwd, rc);
  sys(SYS_rt_sigprocmask, SIG_SETMASK, arg(&run.parent_mask), 0, 8);
  child_exec(run, plan);
}

std::atomic<bool> allowed{true};

void reap(pid_t pid) {
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

[[noreturn]] void throw_child_error(const ChildRun& run, const ChildPlan& plan) {
  // Popen names the program, or the cwd, that failed: "[Errno 2] ...: 'x'".
  if (run.stage == Stage::exec) throw_os_error(run.err, {}, plan.argv[0]);
  if (run.stage == Stage::cwd) throw_os_error(run.err, {}, plan.cwd);
  throw_os_error(run.err);
}

}  // namespace

std::optional<pid_t> clone3_spawn(const ChildPlan& plan) {
  if (!allowed.load(std::memory_order_relaxed)) return std::nullopt;
  ChildRun run{&plan};
  // All signals, glibc's own included, stay blocked until the child has its defaults.
  std::uint64_t all = ~0ULL;
  sys(SYS_rt_sigprocmask, SIG_BLOCK, arg(&all), arg(&run.parent_mask), 8);
  CloneArgs args{};
  args.flags = kCloneVm | kCloneVfork | kCloneClearSighand;
  args.exit_signal = SIGCHLD;
  long pid = asyncio_clone3_run(&args, sizeof args, &run_child, &run);
  sys(SYS_rt_sigprocmask, SIG_SETMASK, arg(&run.parent_mask), 0, 8);
  // No clone3 or CLONE_CLEAR_SIGHAND (older kernel, a container's seccomp filter).
  if (pid == -ENOSYS || pid == -EINVAL || pid == -EPERM) {
    allowed.store(false, std::memory_order_relaxed);
    return std::nullopt;
  }
  if (pid < 0) throw_os_error(static_cast<int>(-pid));
  if (run.err == 0) return static_cast<pid_t>(pid);
  reap(static_cast<pid_t>(pid));
  if (run.stage == Stage::fds && run.err == ENOSYS) {  // close_range needs Linux 5.9
    allowed.store(false, std::memory_order_relaxed);
    return std::nullopt;
  }
  throw_child_error(run, plan);
}

bool clone3_allowed() noexcept {
  return allowed.load(std::memory_order_relaxed);
}

#else

// Other architectures have no trampoline here; under TSan, the child's function-entry hooks
// would write to the parent's shadow stack.
std::optional<pid_t> clone3_spawn(const ChildPlan&) {
  return std::nullopt;
}
bool clone3_allowed() noexcept {
  return false;
}

#endif

}  // namespace asyncio::detail
