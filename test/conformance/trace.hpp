// Printing helpers for conformance traces: unbuffered-safe, Python-like output.
#pragma once

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <typeinfo>

namespace trace {

// Like print(*parts) in Python: parts joined by spaces, newline, flushed.
template <class... Parts>
void print(const Parts&... parts) {
  std::string line;
  bool first = true;
  auto add = [&](const auto& part) {
    if (!first) line += ' ';
    first = false;
    using T = std::decay_t<decltype(part)>;
    if constexpr (std::is_same_v<T, bool>) {
      line += part ? "True" : "False";
    } else if constexpr (std::is_arithmetic_v<T>) {
      line += std::to_string(part);
    } else {
      line += std::string_view(part);
    }
  };
  (add(parts), ...);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

// type(e).__name__: the class of the object thrown, without its namespaces.
template <class E>
std::string type_name(const E& e) {
  int status = 0;
  char* raw = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
  std::string name = status == 0 && raw != nullptr ? raw : typeid(e).name();
  std::free(raw);
  auto colon = name.rfind("::");
  return colon == std::string::npos ? name : name.substr(colon + 2);
}

}  // namespace trace
