// Call graphs (docs/08-debugging.md): what one task waits on, and the whole-loop dump that a
// monitor thread asks for when SIGUSR1 arrives, as `python -m asyncio pstree` gives.
#include <asyncio/asyncio.hpp>

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <string>
#include <thread>

namespace {

sigset_t sigusr1_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  return set;
}

void wait_for_sigusr1() {
  sigset_t set = sigusr1_set();
  int signal_number = 0;
  sigwait(&set, &signal_number);
}

asyncio::Coro<> fetch(asyncio::Future<> reply) {
  co_await reply;  // the task "worker" waits here
}

asyncio::Coro<> serve(asyncio::Future<> reply) {
  co_await fetch(reply);
}

asyncio::Coro<> handle(asyncio::Task<> worker) {
  co_await worker;
}

asyncio::Coro<> scenario(asyncio::EventLoop& loop, asyncio::Future<> dumped) {
  asyncio::Future<> reply = loop.create_future();
  asyncio::Task<> worker = asyncio::create_task(serve(reply), "worker");
  asyncio::Task<> handler = asyncio::create_task(handle(worker), "handler");
  co_await asyncio::sleep(0);  // both start and suspend
  std::string text = asyncio::format_call_graph(worker);
  std::printf("%s\n", text.c_str());
  ::kill(::getpid(), SIGUSR1);  // as an operator would: the monitor asks for a dump
  co_await dumped;              // the dump is taken on this thread, between steps
  reply.set_result();
  co_await handler;
}

}  // namespace

int main() {
  sigset_t set = sigusr1_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // every thread: only the monitor's sigwait takes it
  asyncio::EventLoop loop;
  asyncio::Future<> dumped = loop.create_future();
  std::thread monitor([&loop, &dumped] {
    wait_for_sigusr1();  // a sigwait() on SIGUSR1, blocked in every thread
    auto dump = loop.format_all_tasks_threadsafe();
    if (dump.wait_for(5.0)) std::printf("--- all tasks\n%s\n", dump.get().c_str());
    loop.call_soon_threadsafe([&dumped] { dumped.set_result(); });
  });
  loop.run_until_complete(scenario(loop, dumped));
  monitor.join();
  loop.close();
}
