#include "block_pool.hpp"
#include "sites.hpp"

#include <asyncio/events.hpp>

#include <cstddef>
#include <new>

namespace asyncio {

namespace detail {
namespace {

// Per-thread free list of handle blocks; the reaper frees it at thread exit.
struct Pool {
  BlockFreeList list;
  bool dead;
};
thread_local Pool pool{};

struct PoolReaper {
  ~PoolReaper() {
    pool.list.trim(0);
    pool.dead = true;
  }
};
thread_local PoolReaper reaper;

}  // namespace

HandleImpl* acquire_handle() {
  void* mem = pool.list.pop();
  if (mem == nullptr) {
    (void)&reaper;  // registers the thread-exit cleanup
    mem = ::operator new(sizeof(HandleImpl));
    pool.list.minted_one();
  }
  return ::new (mem) HandleImpl();
}

void recycle_handle(HandleImpl* h) noexcept {
  if (h->has_site) [[unlikely]]
    forget_handle_site(h);
  h->drop_callable();
  h->~HandleImpl();
  if (pool.dead) {
    ::operator delete(h);
    return;
  }
  // A thread that only releases (a host thread in guest mode) must free its cache too.
  if (pool.list.head == nullptr) (void)&reaper;
  if (!pool.list.push(h)) ::operator delete(h);  // unsized: see block_pool.hpp
}

std::size_t pooled_handles() noexcept {
  return pool.list.count;
}

std::size_t trim_handle_pool(std::size_t keep) noexcept {
  return pool.list.trim(keep) * sizeof(HandleImpl);
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
