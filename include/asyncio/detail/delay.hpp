// Delays and timeouts: seconds as any arithmetic type, or any std::chrono::duration.
#pragma once

#include <chrono>
#include <type_traits>

namespace asyncio::detail {

template <class T>
struct is_duration : std::false_type {};
template <class R, class P>
struct is_duration<std::chrono::duration<R, P>> : std::true_type {};

template <class T>
concept Delay =
    std::is_arithmetic_v<std::remove_cvref_t<T>> || is_duration<std::remove_cvref_t<T>>::value;

template <Delay D>
double to_seconds(const D& delay) {
  if constexpr (std::is_arithmetic_v<std::remove_cvref_t<D>>) {
    return static_cast<double>(delay);
  } else {
    return std::chrono::duration<double>(delay).count();
  }
}

}  // namespace asyncio::detail
