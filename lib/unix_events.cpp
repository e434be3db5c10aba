// add_signal_handler / remove_signal_handler, as CPython's unix_events does them, over the
// self-pipe: the signal handler only writes a byte; the callback runs as a loop callback.
#include "loop_impl.hpp"

#include "linux/signals.hpp"

namespace asyncio {

void EventLoop::watch_signal(int sig, HandleImpl* h) {
  Impl& L = *impl_;
  try {
    detail::check_signal_number(sig);
    L.check_closed();
    L.watch_self_pipe();
    detail::claim_signal(sig, &L, L.self_pipe.write_fd());
  } catch (...) {
    h->release();
    throw;
  }
  HandleImpl* old = std::exchange(L.signal_handlers[sig], h);
  if (old != nullptr) old->release();
}

bool EventLoop::remove_signal_handler(int sig) {
  Impl& L = *impl_;
  detail::check_signal_number(sig);
  auto it = L.signal_handlers.find(sig);
  if (it == L.signal_handlers.end()) return false;
  HandleImpl* h = it->second;
  L.signal_handlers.erase(it);
  h->release();
  detail::release_signal(sig, &L);  // back to SIG_DFL
  return true;
}

void EventLoop::Impl::dispatch_signal(int sig) {
  auto it = signal_handlers.find(sig);
  if (it == signal_handlers.end()) return;  // a race with removal: nothing to run
  HandleImpl* h = it->second;
  if (h->cancelled) {
    self.remove_signal_handler(sig);  // as asyncio's _handle_signal
    return;
  }
  h->add_ref();
  ready.push_back(h);
}

void EventLoop::Impl::dispatch_dropped_signals() {
  // dispatch_signal may erase the current entry (a cancelled handler), never another one.
  for (auto it = signal_handlers.begin(); it != signal_handlers.end();) {
    const int sig = (it++)->first;
    for (unsigned n = detail::take_deliveries(sig); n > 0; --n) dispatch_signal(sig);
  }
}

void EventLoop::Impl::remove_all_signal_handlers() noexcept {
  for (auto& [sig, h] : signal_handlers) {
    try {
      detail::release_signal(sig, this);
    } catch (...) {
    }
    h->release();
  }
  signal_handlers.clear();
}

}  // namespace asyncio
