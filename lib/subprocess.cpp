// asyncio.subprocess: the child's pipes as streams, and Process over the transport.
#include <asyncio/subprocess.hpp>
#include <asyncio/tasks.hpp>

#include <cerrno>
#include <system_error>

namespace asyncio {

namespace detail {
Coro<int> subprocess_wait(SubprocessTransport& transport);  // base_subprocess.cpp
}

// ---------------------------------------------------------------- the protocol

SubprocessStreamProtocol::SubprocessStreamProtocol(std::size_t limit, EventLoop& loop)
    : FlowControlMixin(loop), limit_(limit), stdin_closed_(loop.create_future<void>()) {}

void SubprocessStreamProtocol::connection_made(std::shared_ptr<BaseTransport> transport) {
  transport_ = std::dynamic_pointer_cast<SubprocessTransport>(transport);
  for (int fd : {1, 2}) {
    auto pipe = std::dynamic_pointer_cast<ReadTransport>(transport_->get_pipe_transport(fd));
    if (!pipe) continue;
    auto reader = std::make_shared<StreamReader>(limit_, loop_);
    reader->set_transport(pipe);
    (fd == 1 ? stdout_ : stderr_) = reader;
    pipe_fds_.push_back(fd);
  }
  auto stdin_pipe = std::dynamic_pointer_cast<WriteTransport>(transport_->get_pipe_transport(0));
  if (stdin_pipe) {
    auto self = std::dynamic_pointer_cast<FlowControlMixin>(transport_->get_protocol());
    stdin_ = std::make_shared<StreamWriter>(stdin_pipe, self, nullptr, loop_);
  }
}

void SubprocessStreamProtocol::pipe_data_received(int fd, std::string_view data) {
  auto& reader = fd == 1 ? stdout_ : stderr_;
  if (fd != 0 && reader) reader->feed_data(data);
}

void SubprocessStreamProtocol::pipe_connection_lost(int fd, std::exception_ptr exc) {
  if (fd == 0) {
    if (stdin_) stdin_->close();
    connection_lost(exc);
    if (exc) {
      stdin_closed_.set_exception(exc);
      // wait_closed() is optional: an unawaited BrokenPipeError is not worth a log line.
      stdin_closed_.state_ptr()->log_traceback = false;
    } else
      stdin_closed_.set_result();
    return;
  }
  auto& reader = fd == 1 ? stdout_ : stderr_;
  if (reader) {
    if (exc)
      reader->set_exception(exc);
    else
      reader->feed_eof();
  }
  std::erase(pipe_fds_, fd);
  maybe_close_transport();
}

void SubprocessStreamProtocol::process_exited() {
  process_exited_ = true;
  maybe_close_transport();
}

void SubprocessStreamProtocol::maybe_close_transport() {
  if (pipe_fds_.empty() && process_exited_ && transport_) {
    std::exchange(transport_, nullptr)->close();
  }
}

Future<void> SubprocessStreamProtocol::get_close_waiter(StreamWriter&) {
  return stdin_closed_;
}

// ---------------------------------------------------------------- Process

Process::Process(std::shared_ptr<SubprocessTransport> transport,
                 std::shared_ptr<SubprocessStreamProtocol> protocol, EventLoop& loop)
    : pid(transport->get_pid()),
      stdin_(protocol->stdin_),
      stdout_(protocol->stdout_),
      stderr_(protocol->stderr_),
      transport_(std::move(transport)),
      protocol_(std::move(protocol)),
      loop_(&loop) {}

Coro<int> Process::wait() {
  co_return co_await detail::subprocess_wait(*transport_);
}

static Coro<void> noop() {
  co_return;
}

static Coro<std::optional<std::string>> no_output() {
  co_return std::nullopt;
}

Coro<void> Process::feed_stdin(std::string input) {
  try {
    if (!input.empty()) stdin_->write(input);
    co_await stdin_->drain();
  } catch (const BrokenPipeError&) {  // communicate() ignores a reader that went away
  } catch (const ConnectionResetError&) {
  }
  stdin_->close();
}

Coro<std::optional<std::string>> Process::read_stream(int fd) {
  auto transport = transport_->get_pipe_transport(fd);
  std::string output = co_await (fd == 2 ? stderr_ : stdout_)->read();
  transport->close();
  co_return output;
}

Coro<std::pair<std::optional<std::string>, std::optional<std::string>>> Process::communicate(
    std::optional<std::string> input) {
  // Named first: GCC 12 destroys a conditional's temporary twice inside co_await.
  Coro<void> feed = stdin_ ? feed_stdin(input.value_or("")) : noop();
  Coro<std::optional<std::string>> out = stdout_ ? read_stream(1) : no_output();
  Coro<std::optional<std::string>> err = stderr_ ? read_stream(2) : no_output();
  auto results = co_await gather(std::move(feed), std::move(out), std::move(err));
  co_await wait();
  co_return std::pair(std::move(std::get<1>(results)), std::move(std::get<2>(results)));
}

// ---------------------------------------------------------------- creation

// `argv` is the whole command line; `shell` says it is {"/bin/sh", "-c", cmd}, for debug mode.
static Coro<Process> create_subprocess(std::vector<std::string> argv, SubprocessOptions options,
                                       bool shell) {
  EventLoop& loop = get_running_loop();
  std::size_t limit = options.limit;
  for (auto* stdio : {&options.stdin_, &options.stdout_, &options.stderr_})
    if (!*stdio) *stdio = INHERIT;
  auto factory = [limit, &loop] { return std::make_shared<SubprocessStreamProtocol>(limit, loop); };
  auto [transport, protocol] = co_await detail::connect_protocol<SubprocessTransport>(
      factory, [&loop, &argv, &options, shell](auto made) {
        return detail::make_subprocess_transport(loop, std::move(made), std::move(argv),
                                                 std::move(options), shell);
      });
  co_return Process(transport, protocol, loop);
}

Coro<Process> create_subprocess_exec(std::string program, std::vector<std::string> args,
                                     SubprocessOptions options) {
  args.insert(args.begin(), std::move(program));
  return create_subprocess(std::move(args), std::move(options), false);
}

Coro<Process> create_subprocess_shell(std::string cmd, SubprocessOptions options) {
  std::vector<std::string> argv{"/bin/sh", "-c", std::move(cmd)};
  return create_subprocess(std::move(argv), std::move(options), true);
}

}  // namespace asyncio
