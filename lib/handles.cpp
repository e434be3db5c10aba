#include "sites.hpp"

#include <asyncio/events.hpp>

#include <cstddef>
#include <new>

namespace asyncio {

namespace detail {
namespace {

// Per-thread free list of handle blocks. Plain data so that it stays usable while
// other thread_local objects are destroyed; the reaper frees it at thread exit.
struct FreeBlock {
  FreeBlock* next;
};
struct Pool {
  FreeBlock* head;
  std::size_t count;
  bool dead;
};
constexpr std::size_t max_pooled = 1 << 16;
thread_local Pool pool{nullptr, 0, false};

struct PoolReaper {
  ~PoolReaper() {
    while (pool.head != nullptr) {
      FreeBlock* b = pool.head;
      pool.head = b->next;
      ::operator delete(b);  // unsized: Clang enables sized deallocation only on request
    }
    pool.count = 0;
    pool.dead = true;
  }
};
thread_local PoolReaper reaper;

}  // namespace

HandleImpl* acquire_handle() {
  void* mem;
  if (pool.head != nullptr) {
    mem = pool.head;
    pool.head = pool.head->next;
    --pool.count;
  } else {
    (void)&reaper;  // registers the thread-exit cleanup
    mem = ::operator new(sizeof(HandleImpl));
  }
  return ::new (mem) HandleImpl();
}

void recycle_handle(HandleImpl* h) noexcept {
  if (h->has_site) [[unlikely]]
    forget_handle_site(h);
  h->drop_callable();
  h->~HandleImpl();
  if (pool.dead || pool.count >= max_pooled) {
    ::operator delete(h);
    return;
  }
  // A thread that only releases (a host thread in guest mode) must free its cache too.
  if (pool.head == nullptr) (void)&reaper;
  auto* b = ::new (static_cast<void*>(h)) FreeBlock{pool.head};
  pool.head = b;
  ++pool.count;
}

}  // namespace detail

void Handle::cancel() {
  if (impl_ == nullptr || impl_->cancelled) return;
  impl_->cancelled = true;
  if (impl_->is_timer && impl_->scheduled) detail::on_timer_cancelled(*impl_->loop);
  // A callback may cancel its own handle: keep it alive until it returns.
  if (!impl_->running) impl_->drop_callable();
}

std::string Handle::repr() const {
  if (impl_ == nullptr) return "None";
  std::string out = impl_->is_timer ? "<TimerHandle" : "<Handle";
  if (impl_->cancelled) out += " cancelled";
  if (impl_->is_timer) {
    out += " when=";
    detail::append_number(out, impl_->when);
  }
  if (impl_->ops != nullptr) {
    out += ' ';
    out += impl_->ops->describe(impl_->storage);
  }
  detail::append_created_at(out, detail::handle_site(impl_));
  return out + '>';
}

}  // namespace asyncio
