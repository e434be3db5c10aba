// A FIFO that reuses its storage: unlike std::deque it does not allocate in steady state.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace asyncio::detail {

template <class T>
class RingBuffer {
 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  void push_back(T value) {
    if (size_ == capacity_) grow();
    slots_[(head_ + size_) & (capacity_ - 1)] = std::move(value);
    ++size_;
  }
  /// Frees the storage of an empty buffer grown past `max_kept` slots; returns the bytes.
  std::size_t shrink_if_empty(std::size_t max_kept) noexcept {
    if (size_ != 0 || capacity_ <= max_kept) return 0;
    std::size_t bytes = capacity_ * sizeof(T);
    slots_.reset();
    capacity_ = 0;
    head_ = 0;
    return bytes;
  }
  T pop_front() noexcept {
    T value = std::move(slots_[head_]);
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
    return value;
  }

 private:
  void grow() {
    std::size_t cap = capacity_ == 0 ? 64 : capacity_ * 2;
    auto slots = std::make_unique<T[]>(cap);
    for (std::size_t i = 0; i < size_; ++i)
      slots[i] = std::move(slots_[(head_ + i) & (capacity_ - 1)]);
    slots_ = std::move(slots);
    capacity_ = cap;
    head_ = 0;
  }

  std::unique_ptr<T[]> slots_;
  std::size_t capacity_ = 0;  // a power of two
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace asyncio::detail
