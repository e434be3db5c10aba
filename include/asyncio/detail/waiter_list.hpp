// The waiting tasks of a lock or queue, kept so that a primitive may be destroyed while
// tasks still wait on it. C++ has no garbage collector: a Queue local to main() dies while
// the workers it cancelled have yet to unwind, and their unwinding must not touch it.
#pragma once

#include <asyncio/futures.hpp>

#include <cstddef>
#include <exception>
#include <list>
#include <memory>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio::detail {

/// The name a destroyed primitive's waiters are told. A primitive built into another one
/// (a Barrier's Condition, a Queue's Event) takes the outer one's, the one the user knows.
struct OwnerName {
  const char* name;
};

/// The waiters themselves, shared by the list and its entries: it outlives whichever of
/// the primitive and its waiting coroutines goes last.
struct WaiterBlock {
  using Futures = std::list<Future<void>>;

  explicit WaiterBlock(const char* owner_name) noexcept : owner(owner_name) {}

  Futures waiting;    // the primitive's waiters, in its order
  Futures parked;     // popped by the primitive (their future moved out), not yet resumed
  const char* owner;  // for the RuntimeError once detached
  bool detached = false;
};

/// One waiter's place in a WaiterList, held by the waiting coroutine: leaving the list is
/// always safe, as the entry keeps the block alive even once the primitive is gone.
class [[nodiscard]] WaiterEntry {
 public:
  WaiterEntry() noexcept = default;
  WaiterEntry(WaiterEntry&& other) noexcept;
  WaiterEntry& operator=(WaiterEntry&& other) noexcept;
  WaiterEntry(const WaiterEntry&) = delete;
  WaiterEntry& operator=(const WaiterEntry&) = delete;
  ~WaiterEntry() { remove(); }

  /// The primitive was destroyed: nothing may touch it any more.
  bool detached() const noexcept { return block_ && block_->detached; }
  /// Once detached: rethrows `error` (what the wait ended with), or, when the wait ended
  /// normally, RuntimeError("<Type> was destroyed while tasks were waiting on it").
  void rethrow_if_detached(const std::exception_ptr& error) const;
  /// Leaves the list now rather than on destruction (the primitive's bookkeeping order).
  void remove() noexcept;

 private:
  friend class WaiterList;
  WaiterEntry(std::shared_ptr<WaiterBlock> block, WaiterBlock::Futures::iterator it) noexcept;

  std::shared_ptr<WaiterBlock> block_;
  WaiterBlock::Futures::iterator it_{};
  bool linked_ = false;
};

/// std::list<Future<void>> as the primitives used it, plus what a waiter needs to survive
/// the primitive: the list is detached on destruction, and its pending waiters fail.
class WaiterList {
 public:
  using iterator = WaiterBlock::Futures::iterator;
  using const_iterator = WaiterBlock::Futures::const_iterator;

  explicit WaiterList(const char* owner) noexcept : owner_(owner) {}
  /// Detaches the block and fails every pending waiter with RuntimeError (see
  /// WaiterEntry::rethrow_if_detached); done ones, such as cancelled waiters not yet
  /// resumed, are left alone.
  ~WaiterList();
  WaiterList(const WaiterList&) = delete;
  WaiterList& operator=(const WaiterList&) = delete;

  /// Queues `waiter` (a real future: an empty one marks a popped node) last; the entry
  /// takes it out again.
  WaiterEntry add(Future<void> waiter);
  /// An entry in no list, only to learn whether the primitive is gone (a LockGuard's).
  WaiterEntry watch();
  /// Takes the first waiter out of the list, as asyncio's popleft(); its entry still owns
  /// the node.
  Future<void> pop_front() noexcept;

  Future<void>& front() noexcept { return waiting().front(); }
  bool empty() const noexcept { return waiting().empty(); }
  std::size_t size() const noexcept { return waiting().size(); }
  iterator begin() noexcept { return waiting().begin(); }
  iterator end() noexcept { return waiting().end(); }
  const_iterator begin() const noexcept { return waiting().begin(); }
  const_iterator end() const noexcept { return waiting().end(); }

 private:
  /// The block is made on the first wait or guard: most primitives are never waited on.
  WaiterBlock& block();
  WaiterBlock::Futures& waiting() const noexcept;

  std::shared_ptr<WaiterBlock> block_;
  const char* owner_;
};

}  // namespace asyncio::detail
ASYNCIO_CPP_API_END
