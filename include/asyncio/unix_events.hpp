// asyncio.unix_events: pipe and subprocess transports for EventLoop's coroutine methods.
#pragma once

#include <asyncio/coroutines.hpp>
#include <asyncio/events.hpp>
#include <asyncio/protocols.hpp>
#include <asyncio/subprocess_options.hpp>
#include <asyncio/transports.hpp>

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio {

namespace detail {
Coro<std::shared_ptr<ReadTransport>> make_read_pipe_transport(EventLoop& loop, int fd,
                                                              std::shared_ptr<Protocol> protocol);
Coro<std::shared_ptr<WriteTransport>> make_write_pipe_transport(
    EventLoop& loop, int fd, std::shared_ptr<BaseProtocol> protocol);
/// `shell`: argv is {"/bin/sh", "-c", cmd}, which debug mode logs as "run shell command".
Coro<std::shared_ptr<SubprocessTransport>> make_subprocess_transport(
    EventLoop& loop, std::shared_ptr<SubprocessProtocol> protocol, std::vector<std::string> argv,
    SubprocessOptions options, bool shell = false);
template <class Factory>
using factory_protocol_t = typename std::invoke_result_t<Factory&>::element_type;

/// Calls the factory, then lets `start` build the transport around the protocol.
template <class TransportT, class Factory, class Start>
Coro<std::pair<std::shared_ptr<TransportT>, std::shared_ptr<factory_protocol_t<Factory>>>>
connect_protocol(Factory make, Start start) {
  std::shared_ptr<factory_protocol_t<Factory>> protocol = make();
  std::shared_ptr<TransportT> transport = co_await start(protocol);
  co_return std::pair(std::move(transport), std::move(protocol));
}
}  // namespace detail

template <class Factory>
auto EventLoop::connect_read_pipe(Factory factory, int fd) {
  return detail::connect_protocol<ReadTransport>(std::move(factory), [this, fd](auto protocol) {
    return detail::make_read_pipe_transport(*this, fd, std::move(protocol));
  });
}

template <class Factory>
auto EventLoop::connect_write_pipe(Factory factory, int fd) {
  return detail::connect_protocol<WriteTransport>(std::move(factory), [this, fd](auto protocol) {
    return detail::make_write_pipe_transport(*this, fd, std::move(protocol));
  });
}

template <class Factory>
auto EventLoop::subprocess_exec(Factory factory, std::string program, std::vector<std::string> args,
                                SubprocessOptions options) {
  args.insert(args.begin(), std::move(program));
  return detail::connect_protocol<SubprocessTransport>(
      std::move(factory), [this, argv = std::move(args), opts = std::move(options)](auto protocol) {
        return detail::make_subprocess_transport(*this, std::move(protocol), argv, opts);
      });
}

template <class Factory, detail::ExecArg... Args>
requires(sizeof...(Args) > 0 &&
         (!detail::is_arg_vector<Args> && ...)) auto EventLoop::subprocess_exec(Factory factory,
                                                                                std::string program,
                                                                                Args&&... args) {
  std::vector<std::string> argv;
  SubprocessOptions options;
  (detail::add_exec_arg(argv, options, std::forward<Args>(args)), ...);
  return subprocess_exec(std::move(factory), std::move(program), std::move(argv),
                         std::move(options));
}

template <class Factory>
auto EventLoop::subprocess_shell(Factory factory, std::string cmd, SubprocessOptions options) {
  std::vector<std::string> argv{"/bin/sh", "-c", std::move(cmd)};
  return detail::connect_protocol<SubprocessTransport>(
      std::move(factory), [this, argv = std::move(argv), opts = std::move(options)](auto protocol) {
        return detail::make_subprocess_transport(*this, std::move(protocol), argv, opts, true);
      });
}

}  // namespace asyncio
ASYNCIO_CPP_API_END
