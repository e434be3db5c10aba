// asyncio.subprocess: Process, create_subprocess_exec and create_subprocess_shell.
#pragma once

#include <asyncio/streams.hpp>
#include <asyncio/subprocess_options.hpp>
#include <asyncio/unix_events.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

/// subprocess.SubprocessStreamProtocol: feeds the child's pipes to streams.
class SubprocessStreamProtocol : public FlowControlMixin, public SubprocessProtocol {
 public:
  SubprocessStreamProtocol(std::size_t limit, EventLoop& loop);
  void connection_made(std::shared_ptr<BaseTransport> transport) override;
  void pipe_data_received(int fd, std::string_view data) override;
  void pipe_connection_lost(int fd, std::exception_ptr exc) override;
  void process_exited() override;
  Future<void> get_close_waiter(StreamWriter& stream) override;

  std::shared_ptr<StreamWriter> stdin_;
  std::shared_ptr<StreamReader> stdout_;
  std::shared_ptr<StreamReader> stderr_;

 private:
  void maybe_close_transport();
  std::size_t limit_;
  std::shared_ptr<SubprocessTransport> transport_;
  Future<void> stdin_closed_;
  std::vector<int> pipe_fds_;
  bool process_exited_ = false;
};

class Process {
 public:
  Process(std::shared_ptr<SubprocessTransport> transport,
          std::shared_ptr<SubprocessStreamProtocol> protocol, EventLoop& loop);

  int pid;
  /// The child's pipes, where PIPE was asked for (named so libc's stdin macros do not clash).
  std::shared_ptr<StreamWriter> stdin_;
  std::shared_ptr<StreamReader> stdout_;
  std::shared_ptr<StreamReader> stderr_;

  std::optional<int> returncode() const { return transport_->get_returncode(); }
  Coro<int> wait();
  /// Writes `input` (then closes stdin), reads stdout and stderr to EOF, waits for the
  /// exit. Each result is std::nullopt where that stream is not a pipe.
  Coro<std::pair<std::optional<std::string>, std::optional<std::string>>> communicate(
      std::optional<std::string> input = std::nullopt);
  void send_signal(int sig) { transport_->send_signal(sig); }
  void terminate() { transport_->terminate(); }
  void kill() { transport_->kill(); }

 private:
  Coro<void> feed_stdin(std::string input);
  Coro<std::optional<std::string>> read_stream(int fd);

  std::shared_ptr<SubprocessTransport> transport_;
  std::shared_ptr<SubprocessStreamProtocol> protocol_;
  [[maybe_unused]] EventLoop* loop_;  // asyncio.subprocess.Process._loop
};

/// `args` excludes the program, as *args does in asyncio. Unset stdio options inherit.
Coro<Process> create_subprocess_exec(std::string program, std::vector<std::string> args = {},
                                     SubprocessOptions options = {});
Coro<Process> create_subprocess_shell(std::string cmd, SubprocessOptions options = {});

/// create_subprocess_exec("ls", "-l", dir, options): the arguments one by one, as in
/// Python, with the options (if any) last. Needs no braced list, which GCC 12 cannot
/// compile inside a co_await expression.
template <detail::ExecArg... Args>
requires(sizeof...(Args) > 0 && (!detail::is_arg_vector<Args> &&
                                 ...)) Coro<Process> create_subprocess_exec(std::string program,
                                                                            Args&&... args) {
  std::vector<std::string> argv;
  SubprocessOptions options;
  (detail::add_exec_arg(argv, options, std::forward<Args>(args)), ...);
  return create_subprocess_exec(std::move(program), std::move(argv), std::move(options));
}

/// The module's names as a port spells them: asyncio::subprocess::PIPE for
/// asyncio.subprocess.PIPE, asyncio::subprocess::Process, and so on.
namespace subprocess {
using asyncio::create_subprocess_exec;
using asyncio::create_subprocess_shell;
using asyncio::DEVNULL;
using asyncio::PIPE;
using asyncio::Process;
using asyncio::STDOUT;
}  // namespace subprocess

}  // namespace asyncio
ASYNCIO_CPP_API_END
