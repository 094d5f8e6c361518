// alerts/merge_patch.h — a PATCH of a stored resource as a JSON merge patch (RFC 7386): the
// resource's fields as a client sends them, the patch merged in, and the whole decoded again, so a
// patch is validated exactly as a create is. Pure.
#pragma once

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace tt::alerts {

// `doc` is `stored` as its input fields; `decode` turns a whole body into a T. What no client
// sets (its id, author and times) is kept from `stored`.
template <typename T, typename Decode>
Result<T> merge_patch(const T& stored, nlohmann::json doc, const nlohmann::json& patch,
                      Decode decode) {
  if (!patch.is_object())
    return Error::make(ErrorKind::invalid_input, "INVALID_JSON", "the body must be a JSON object");
  doc.merge_patch(patch);
  T out = TT_TRY(decode(doc));
  out.id = stored.id;
  out.created_by = stored.created_by;
  out.created_at = stored.created_at;
  out.updated_at = stored.updated_at;
  return out;
}

}  // namespace tt::alerts
