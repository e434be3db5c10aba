// The machinery behind contextvars.hpp: per-thread current context, copy-on-write variable
// maps, and the scopes that switch contexts (docs/04-architecture.md, "Context variables").
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio::detail {

/// A value too large or not trivially copyable to sit in a map entry: shared by the maps that
/// hold it (a map copy never copies values, as a Python dict copy shares its objects).
struct ValueBox {
  std::atomic<std::uint32_t> refs{1};
  void (*destroy)(ValueBox*) noexcept = nullptr;
};

template <class T>
struct TypedBox final : ValueBox {
  explicit TypedBox(T v) : value(std::move(v)) {
    destroy = [](ValueBox* b) noexcept { delete static_cast<TypedBox*>(b); };
  }
  T value;
};

/// Small trivially copyable values (ids, pointers, numbers) live inside the entry: setting
/// one allocates nothing once the map is this context's own.
template <class T>
inline constexpr bool stored_inline = std::is_trivially_copyable_v<T> && sizeof(T) <= 16 &&
                                      alignof(T) <= alignof(std::max_align_t);

struct VarEntry {
  std::uint64_t var = 0;    // the ContextVar's id
  ValueBox* box = nullptr;  // null: the value is in `small`
  alignas(16) unsigned char small[16];
};

/// Entries sorted by variable id; shared between contexts until one of them writes.
struct VarMap {
  std::atomic<std::uint32_t> refs{1};
  std::uint32_t size = 0;
  std::uint32_t capacity = 0;
  VarEntry* entries = nullptr;
};

void add_ref(VarMap* map) noexcept;
void release(VarMap* map) noexcept;

/// A context: the map of its variables, and whether some thread runs in it now. Heap states
/// are what Context handles and tasks share; run scopes and callbacks use stack ones.
struct ContextState {
  VarMap* map = nullptr;
  std::uint64_t serial = 0;  // names the context for Token checks; assigned on first set
  std::atomic<std::uint32_t> refs{1};
  bool entered = false;
};

struct ContextThread {
  ContextState* current = nullptr;  // null: `base`, the thread's own context
  ContextState base;
};
extern thread_local constinit ContextThread context_thread;
/// Set for good by the process's first ContextVar::set(): until then no context holds a map,
/// and call_soon, create_task and add_done_callback skip the thread-local lookup entirely.
extern constinit std::atomic<bool> context_vars_in_use;

inline ContextState& current_context() noexcept {
  ContextThread& t = context_thread;
  return t.current != nullptr ? *t.current : t.base;
}
/// Null until some variable is set in the current context: what keeps call_soon and
/// create_task free of context work for programs that never use a ContextVar.
inline VarMap* current_map() noexcept {
  if (!context_vars_in_use.load(std::memory_order_relaxed)) return nullptr;
  return current_context().map;
}

inline const VarEntry* find_entry(const VarMap* map, std::uint64_t var) noexcept {
  if (map == nullptr) return nullptr;
  const VarEntry* lo = map->entries;
  std::uint32_t n = map->size;
  while (n > 0) {  // lower_bound
    std::uint32_t half = n / 2;
    if (lo[half].var < var) {
      lo += half + 1;
      n -= half + 1;
    } else {
      n = half;
    }
  }
  return lo != map->entries + map->size && lo->var == var ? lo : nullptr;
}

template <class T>
const T& entry_value(const VarEntry& e) noexcept {
  if constexpr (stored_inline<T>) {
    return *std::launder(reinterpret_cast<const T*>(e.small));
  } else {
    return static_cast<const TypedBox<T>*>(e.box)->value;
  }
}

/// The entry for `var` in `state`'s own map (cloned first if shared, inserted if missing);
/// `existed` says whether it held a value. The caller stores the new value.
VarEntry& writable_entry(ContextState& state, std::uint64_t var, bool& existed);
void drop_value(VarEntry& e) noexcept;
/// Moves the value out of `e` (marked present by a non-zero `var`), leaving `e` empty.
inline VarEntry take_value(VarEntry& e) noexcept {
  VarEntry out = e;
  e.box = nullptr;
  return out;
}
/// Stores a second reference to `src`'s value in `dst`.
inline void copy_value(VarEntry& dst, const VarEntry& src) noexcept {
  std::memcpy(dst.small, src.small, sizeof dst.small);
  dst.box = src.box;
  if (dst.box != nullptr) dst.box->refs.fetch_add(1, std::memory_order_relaxed);
}
void erase_entry(ContextState& state, std::uint64_t var);

template <class T>
void store_value(VarEntry& e, T value) {
  if constexpr (stored_inline<T>) {
    ::new (static_cast<void*>(e.small)) T(std::move(value));
  } else {
    e.box = new TypedBox<T>(std::move(value));
  }
}

std::uint64_t new_var_id() noexcept;
bool same_vars(const VarMap* a, const VarMap* b) noexcept;
std::uint64_t serial_of(ContextState& state) noexcept;

ContextState* new_context_state(VarMap* shared_map) noexcept;  // shares `shared_map`
void add_ref(ContextState* state) noexcept;
void release(ContextState* state) noexcept;
/// For a new task: a copy of the current context, or null while it holds no variable.
inline ContextState* capture_context_for_task() noexcept {
  VarMap* m = current_map();
  return m == nullptr ? nullptr : new_context_state(m);
}

/// Runs the scope in `state` (Context.run), refusing a context that is already entered.
class EnterContext {
 public:
  explicit EnterContext(ContextState& state);
  ~EnterContext() {
    state_.entered = false;
    context_thread.current = previous_;
  }
  EnterContext(const EnterContext&) = delete;
  EnterContext& operator=(const EnterContext&) = delete;

 private:
  ContextState& state_;
  ContextState* previous_;
};

/// A counted reference to a map, captured by a callback when it is scheduled.
class MapRef {
 public:
  explicit MapRef(VarMap* map) noexcept : map_(map) {
    if (map_ != nullptr) add_ref(map_);
  }
  MapRef(const MapRef& o) noexcept : map_(o.map_) {
    if (map_ != nullptr) add_ref(map_);
  }
  MapRef(MapRef&& o) noexcept : map_(std::exchange(o.map_, nullptr)) {}
  MapRef& operator=(MapRef o) noexcept {
    std::swap(map_, o.map_);
    return *this;
  }
  ~MapRef() {
    if (map_ != nullptr) release(map_);
  }
  VarMap* get() const noexcept { return map_; }

 private:
  VarMap* map_;
};

/// in_context()'s wrapper already says where the callback runs: no snapshot is taken.
template <class F>
concept RunsInOwnContext = requires {
  F::runs_in_own_context;
};

/// The context a callback owns: a copy of its scheduler's, made when it was scheduled and kept
/// across its runs (a reader or a signal handler runs in the same one each time), as an
/// asyncio Handle's `_context`. It shares the map until the callback sets a variable.
class OwnedContext {
 public:
  explicit OwnedContext(VarMap* map) noexcept {
    state_.map = map;
    add_ref(map);
  }
  OwnedContext(OwnedContext&& o) noexcept {
    state_.map = std::exchange(o.state_.map, nullptr);
    state_.serial = o.state_.serial;
  }
  OwnedContext& operator=(OwnedContext&&) = delete;
  ~OwnedContext() { release(state_.map); }
  ContextState& state() noexcept { return state_; }

 private:
  ContextState state_;
};

/// A callback wrapped to run in its own context (call_soon and its siblings, while some
/// variable is set).
template <class F>
struct InContext {
  using wrapped_type = F;
  OwnedContext context;
  F fn;

  template <class... A>
  void operator()(A&... args) {
    EnterContext entered(context.state());
    std::invoke(fn, args...);
  }
  ContextState* context_state() noexcept { return &context.state(); }
};

}  // namespace asyncio::detail
ASYNCIO_CPP_API_END
