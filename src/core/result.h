// core/ — the vocabulary every subsystem shares: errors, results, time, ids, logging, metrics.
// Depends on the standard library only (plus fmt for logging); anyone may include it.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace tt {

// What went wrong, in terms a caller can act on. The API maps each kind to one HTTP status;
// domain code never speaks HTTP.
enum class ErrorKind {
  invalid_input,     // malformed request (400)
  validation,        // well-formed but wrong fields or values (422)
  unauthenticated,   // 401
  forbidden,         // 403
  not_found,         // 404
  conflict,          // 409
  too_large,         // 413
  unsupported_type,  // 415
  rate_limited,      // 429
  unavailable,       // 503: e.g. the writer is shutting down
  bad_gateway,       // 502: a device we asked answered wrongly or is unreachable
  gateway_timeout,   // 504: a device we asked did not answer in time
  internal,          // 500: a bug or an I/O failure we cannot classify
};

struct FieldError {
  std::string field;
  std::string message;
};

// An expected failure carried as a value. `code` is a stable UPPER_SNAKE identifier from the
// catalogue in docs/api.md (e.g. NODE_NOT_FOUND); `message` is for people.
struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string code;
  std::string message;
  std::vector<FieldError> fields;    // per-field details for validation errors
  std::optional<int> retry_after_s;  // for rate limiting

  static Error make(ErrorKind kind, std::string code, std::string message) {
    return Error{kind, std::move(code), std::move(message), {}, std::nullopt};
  }
};

// Result<T>: a T or an Error. [[nodiscard]] so an ignored failure is a compile warning.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_v(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : m_v(std::move(error)) {}  // NOLINT

  bool ok() const { return m_v.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & {
    assert(ok());
    return std::get<0>(m_v);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(m_v);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(m_v));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const Error& error() const& {
    assert(!ok());
    return std::get<1>(m_v);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(m_v));
  }

 private:
  std::variant<T, Error> m_v;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : m_error(std::move(error)) {}  // NOLINT
  bool ok() const { return !m_error; }
  explicit operator bool() const { return ok(); }
  const Error& error() const& {
    assert(!ok());
    return *m_error;
  }
  Error&& error() && {
    assert(!ok());
    return std::move(*m_error);
  }

 private:
  std::optional<Error> m_error;
};

inline Result<void> ok() { return {}; }

namespace detail {
// What TT_TRY yields: the value of a Result<T>, nothing for a Result<void>.
template <typename T>
T try_value(Result<T>&& r) {
  return std::move(r).value();
}
inline void try_value(Result<void>&&) {}
}  // namespace detail

}  // namespace tt

// TT_TRY(expr): evaluates a Result; on error returns the error from the enclosing function,
// otherwise yields the value (`auto n = TT_TRY(parse(text));`), as SerenityOS's TRY. A GNU
// statement expression (GCC and Clang). An lvalue argument is copied, never moved from.
#define TT_TRY(expr)                                          \
  ({                                                          \
    auto tt_try_r_ = (expr);                                  \
    if (!tt_try_r_.ok()) return std::move(tt_try_r_).error(); \
    ::tt::detail::try_value(std::move(tt_try_r_));            \
  })
