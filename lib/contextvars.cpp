// Copy-on-write variable maps and the per-thread current context (contextvars.hpp).
#include <asyncio/contextvars.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace asyncio::detail {

thread_local constinit ContextThread context_thread{};
constinit std::atomic<bool> context_vars_in_use{false};

namespace {

std::atomic<std::uint64_t> var_ids{0};
std::atomic<std::uint64_t> context_serials{0};

VarMap* allocate_map(std::uint32_t capacity) {
  auto* m = new VarMap;
  m->capacity = capacity;
  m->entries = capacity == 0 ? nullptr : new VarEntry[capacity];
  return m;
}

void destroy_map(VarMap* m) noexcept {
  for (std::uint32_t i = 0; i < m->size; ++i) drop_value(m->entries[i]);
  delete[] m->entries;
  delete m;
}

// A map this context alone holds, so that writing to it changes no other context.
VarMap* clone(const VarMap* m, std::uint32_t extra) {
  std::uint32_t size = m != nullptr ? m->size : 0;
  VarMap* out = allocate_map(std::max<std::uint32_t>(4, size + extra));
  for (std::uint32_t i = 0; i < size; ++i) {
    out->entries[i].var = m->entries[i].var;
    copy_value(out->entries[i], m->entries[i]);
  }
  out->size = size;
  return out;
}

// The thread's base context holds its map until the thread ends.
struct BaseCleanup {
  ~BaseCleanup() {
    release(context_thread.base.map);
    context_thread.base.map = nullptr;
  }
};

VarMap* own_map(ContextState& state) {
  VarMap* m = state.map;
  bool shared = m == nullptr || m->refs.load(std::memory_order_acquire) != 1;
  if (!shared && m->size < m->capacity) return m;
  VarMap* copy = clone(m, shared ? 1 : m->capacity);
  release(m);
  state.map = copy;
  if (&state == &context_thread.base) {
    static thread_local BaseCleanup cleanup;
  }
  return copy;
}

}  // namespace

void add_ref(VarMap* map) noexcept {
  if (map != nullptr) map->refs.fetch_add(1, std::memory_order_relaxed);
}

void release(VarMap* map) noexcept {
  if (map != nullptr && map->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy_map(map);
}

void drop_value(VarEntry& e) noexcept {
  ValueBox* b = std::exchange(e.box, nullptr);
  if (b != nullptr && b->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) b->destroy(b);
}

VarEntry& writable_entry(ContextState& state, std::uint64_t var, bool& existed) {
  VarMap* m = state.map;
  if (m != nullptr && m->refs.load(std::memory_order_acquire) == 1) {
    if (auto* e = const_cast<VarEntry*>(find_entry(m, var))) {
      existed = true;
      return *e;
    }
  }
  if (!context_vars_in_use.load(std::memory_order_relaxed)) {
    context_vars_in_use.store(true, std::memory_order_relaxed);
  }
  m = own_map(state);  // unique, with room for one more
  VarEntry* end = m->entries + m->size;
  VarEntry* at = std::lower_bound(m->entries, end, var,
                                  [](const VarEntry& e, std::uint64_t v) { return e.var < v; });
  if (at != end && at->var == var) {
    existed = true;
    return *at;
  }
  std::move_backward(at, end, end + 1);
  ++m->size;
  at->var = var;
  at->box = nullptr;
  std::memset(at->small, 0, sizeof at->small);  // same_vars compares all of it
  existed = false;
  return *at;
}

void erase_entry(ContextState& state, std::uint64_t var) {
  if (find_entry(state.map, var) == nullptr) return;
  bool existed = false;
  VarEntry& e = writable_entry(state, var, existed);
  drop_value(e);
  VarMap* m = state.map;
  VarEntry* end = m->entries + m->size;
  std::move(&e + 1, end, &e);
  --m->size;
}

std::uint64_t new_var_id() noexcept {
  return ++var_ids;  // 0 marks an empty token
}

bool same_vars(const VarMap* a, const VarMap* b) noexcept {
  std::uint32_t na = a != nullptr ? a->size : 0;
  std::uint32_t nb = b != nullptr ? b->size : 0;
  if (na != nb) return false;
  for (std::uint32_t i = 0; i < na; ++i) {
    const VarEntry& x = a->entries[i];
    const VarEntry& y = b->entries[i];
    if (x.var != y.var || x.box != y.box) return false;
    if (x.box == nullptr && std::memcmp(x.small, y.small, sizeof x.small) != 0) return false;
  }
  return true;
}

std::uint64_t serial_of(ContextState& state) noexcept {
  if (state.serial == 0) state.serial = ++context_serials;
  return state.serial;
}

ContextState* new_context_state(VarMap* shared_map) noexcept {
  auto* s = new ContextState;
  s->map = shared_map;
  add_ref(shared_map);
  return s;
}

void add_ref(ContextState* state) noexcept {
  if (state != nullptr) state->refs.fetch_add(1, std::memory_order_relaxed);
}

void release(ContextState* state) noexcept {
  if (state != nullptr && state->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    release(state->map);
    delete state;
  }
}

EnterContext::EnterContext(ContextState& state) : state_(state), previous_(context_thread.current) {
  if (state.entered) {
    throw RuntimeError("cannot enter context: <Context> is already entered");
  }
  state.entered = true;
  context_thread.current = &state;
}

std::string var_repr(const std::string& name, const std::string* default_repr) {
  std::string out = "<ContextVar name='" + name + "'";
  if (default_repr != nullptr) out += " default=" + *default_repr;
  return out + ">";
}

namespace {
std::string token_repr(const std::string& var) {
  return "<Token var=" + var_repr(var, nullptr) + ">";
}
}  // namespace

void throw_token_used(const std::string& var) {
  throw RuntimeError(token_repr(var) + " has already been used once");
}

void throw_token_other_var(const std::string& var) {
  throw std::invalid_argument(token_repr(var) + " was created by a different ContextVar");
}

void throw_token_other_context(const std::string& var) {
  throw std::invalid_argument(token_repr(var) + " was created in a different Context");
}

}  // namespace asyncio::detail
