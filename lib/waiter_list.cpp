// WaiterList: the waiters of a primitive, in a block its waiting coroutines share, so that
// they can unwind after the primitive is gone.
#include <asyncio/detail/waiter_list.hpp>

#include <string>
#include <utility>

namespace asyncio::detail {

// ---------------------------------------------------------------- WaiterEntry

WaiterEntry::WaiterEntry(std::shared_ptr<WaiterBlock> block,
                         WaiterBlock::Futures::iterator it) noexcept
    : block_(std::move(block)), it_(it), linked_(true) {}

WaiterEntry::WaiterEntry(WaiterEntry&& other) noexcept
    : block_(std::move(other.block_)),
      it_(other.it_),
      linked_(std::exchange(other.linked_, false)) {}

WaiterEntry& WaiterEntry::operator=(WaiterEntry&& other) noexcept {
  if (this != &other) {
    remove();
    block_ = std::move(other.block_);
    it_ = other.it_;
    linked_ = std::exchange(other.linked_, false);
  }
  return *this;
}

void WaiterEntry::rethrow_if_detached(const std::exception_ptr& error) const {
  if (!detached()) return;
  if (error) std::rethrow_exception(error);
  throw RuntimeError(std::string(block_->owner) + " was destroyed while tasks were waiting on it");
}

void WaiterEntry::remove() noexcept {
  if (!std::exchange(linked_, false)) return;
  // pop_front() moves the future out of the nodes it parks: an empty one tells the list.
  auto& list = *it_ ? block_->waiting : block_->parked;
  list.erase(it_);
}

// ---------------------------------------------------------------- WaiterList

namespace {

// The waiter's task may still resume: tell it why it woke. Not when its loop is gone (the
// future's loop pointer dangles then) or closed (nothing would run the task again).
void fail_waiter(Future<void>& waiter, const char* owner) noexcept {
  if (waiter.done()) return;
  const auto& anchor = waiter.state_ptr()->anchor;
  if (anchor->loop == nullptr || anchor->loop->is_closed()) return;
  try {
    waiter.set_exception(std::make_exception_ptr(
        RuntimeError(std::string(owner) + " was destroyed while tasks were waiting on it")));
  } catch (...) {
    // out of memory, or call_soon refusing: a destructor has nobody to tell
  }
}

}  // namespace

WaiterList::~WaiterList() {
  if (!block_) return;
  block_->detached = true;
  // set_exception() schedules the wakeups with call_soon: the list does not change here.
  for (auto& waiter : block_->waiting) fail_waiter(waiter, block_->owner);
}

WaiterBlock& WaiterList::block() {
  if (!block_) block_ = std::make_shared<WaiterBlock>(owner_);
  return *block_;
}

WaiterBlock::Futures& WaiterList::waiting() const noexcept {
  // Before the first wait there is no block: iterate over an empty list instead. Nothing is
  // ever inserted into it, so sharing it between threads is fine.
  static WaiterBlock::Futures none;
  return block_ ? block_->waiting : none;
}

WaiterEntry WaiterList::add(Future<void> waiter) {
  auto& waiters = block().waiting;
  auto it = waiters.insert(waiters.end(), std::move(waiter));
  return WaiterEntry(block_, it);
}

WaiterEntry WaiterList::watch() {
  block();
  WaiterEntry entry;
  entry.block_ = block_;
  return entry;
}

Future<void> WaiterList::pop_front() noexcept {
  auto& block = *block_;
  Future<void> waiter = std::move(block.waiting.front());
  block.parked.splice(block.parked.end(), block.waiting, block.waiting.begin());
  return waiter;
}

}  // namespace asyncio::detail
