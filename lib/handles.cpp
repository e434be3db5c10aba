#include "block_pool.hpp"
#include "sites.hpp"

#include <asyncio/events.hpp>

#include <pthread.h>

#include <cstddef>
#include <mutex>
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

// call_soon_threadsafe's handles are allocated by the producers and freed by the loop, so the
// loop's pool fills while the producers' stay empty and every call went to malloc (and the
// loop's frees to another thread's arena): 44% of B4's samples with one producer. A full pool
// hands a batch of blocks to this depot, and an empty one takes a batch before it mallocs: one
// lock per batch_size handles. The depot is small (4096 handles, 330 KB) and never freed; a
// trim does not feed it, as the blocks it would keep are scattered over a burst's pages.
class Depot {
 public:
  static constexpr std::size_t batch_size = 256;
  static constexpr std::size_t max_batches = 16;

  static Depot& instance() {
    static Depot* depot = make();  // never destroyed: threads may free into it at exit
    return *depot;
  }

  bool put(BlockFreeList& from) {
    std::lock_guard lock(mutex_);
    if (count_ == max_batches) return false;
    batches_[count_++] = from.split(batch_size);
    return true;
  }
  bool take(BlockFreeList& into) {
    std::lock_guard lock(mutex_);
    if (count_ == 0) return false;
    into.adopt(batches_[--count_]);
    return true;
  }

 private:
  static Depot* make() {
    auto* depot = new Depot;
    // A fork while another thread holds the lock must not leave the child's copy locked.
    ::pthread_atfork([] { instance().mutex_.lock(); }, [] { instance().mutex_.unlock(); },
                     [] { instance().mutex_.unlock(); });
    return depot;
  }

  std::mutex mutex_;
  BlockFreeList batches_[max_batches]{};
  std::size_t count_ = 0;
};

// Blocks other threads allocated that a pool keeps before it feeds the depot.
constexpr std::size_t foreign_kept = 4 * Depot::batch_size;

}  // namespace

HandleImpl* acquire_handle() {
  void* mem = pool.list.pop();
  if (mem == nullptr) [[unlikely]] {
    (void)&reaper;  // registers the thread-exit cleanup
    if (!pool.dead && Depot::instance().take(pool.list)) {
      mem = pool.list.pop();
    } else {
      mem = ::operator new(sizeof(HandleImpl));
      pool.list.minted_one();
    }
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
  // More blocks than this thread allocated: they are a producer's, which mallocs each handle
  // while its own pool is empty. Hand a batch back through the depot now, not once this pool
  // holds 65,536 of them (B4 at 10^5 calls went to malloc for nearly every call).
  if (pool.list.count >= foreign_kept && pool.list.count >= pool.list.minted) [[unlikely]]
    (void)Depot::instance().put(pool.list);
  if (pool.list.push(h)) return;
  ::operator delete(h);  // unsized: see block_pool.hpp
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
