// api/resource.h — the list/create/get/patch/delete routes that every stored resource shares
// (nodes, checks, alert rules, silences, maintenance windows, inhibit rules, channels). The
// handlers differ only in how a query or body decodes, which service call runs and how a record
// prints, so a resource names those and gets the routes, with the same status codes, Location
// header and 404 code everywhere.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <string>

#include "api/api.h"
#include "core/page.h"
#include "http/router.h"

namespace tt::api {

template <typename T>
struct Resource {
  std::string path;       // "/api/v1/checks": GET and POST here, GET, PATCH and DELETE at path/{id}
  const char* not_found;  // the error code of an {id} that is not a number: "CHECK_NOT_FOUND"
  std::function<nlohmann::json(const T&)> to_json;
  // Reads the query parameters and asks the service for a page (422 for a bad query).
  std::function<Result<Page<T>>(http::Context&)> list;
  std::function<Result<T>(const nlohmann::json& body, const Actor&)> create;
  std::function<Result<T>(std::int64_t id)> get;
  std::function<Result<T>(std::int64_t id, const nlohmann::json& body, const Actor&)>
      update;  // empty: no PATCH
  std::function<Result<void>(std::int64_t id, const Actor&)> remove;
  http::Access list_access = http::Access::read;  // kiosk: the wall screen reads the list too
};

// A list route's handler: `read` takes the query parameters (see list_query), `svc.list` runs
// the query.
template <typename T, typename Service, typename Query>
std::function<Result<Page<T>>(http::Context&)> list_by(Service& svc,
                                                       void (*read)(const http::Context&, Query&,
                                                                    std::vector<FieldError>&)) {
  return [&svc, read](http::Context& ctx) -> Result<Page<T>> {
    return svc.list(TT_TRY(list_query(ctx, read)));
  };
}

// The create/get/patch/delete of a service that takes on create what `decode_create(body)`
// makes and on update what `decode_patch(body)` makes, e.g. an input decoded in patch mode, or
// the body itself as a JSON merge patch (maintenance windows, inhibit rules).
template <typename T, typename Service, typename DecodeCreate, typename DecodePatch>
Resource<T> service_resource(std::string path, const char* not_found,
                             std::function<nlohmann::json(const T&)> to_json,
                             std::function<Result<Page<T>>(http::Context&)> list, Service& svc,
                             DecodeCreate decode_create, DecodePatch decode_patch) {
  return {std::move(path),
          not_found,
          std::move(to_json),
          std::move(list),
          [&svc, decode_create](const nlohmann::json& body, const Actor& actor) -> Result<T> {
            return svc.create(TT_TRY(decode_create(body)), actor);
          },
          [&svc](std::int64_t id) { return svc.get(id); },
          [&svc, decode_patch](std::int64_t id, const nlohmann::json& body, const Actor& actor)
              -> Result<T> { return svc.update(id, TT_TRY(decode_patch(body)), actor); },
          [&svc](std::int64_t id, const Actor& actor) { return svc.remove(id, actor); }};
}

// A decoder of the body in one mode (create or patch) of a decode(body, mode) function.
template <typename Input, typename Mode>
auto decode_as(Result<Input> (*decode)(const nlohmann::json&, Mode), Mode mode) {
  return [decode, mode](const nlohmann::json& body) { return decode(body, mode); };
}

// The routes of a service whose create and update take what `decode(body, mode)` makes, in
// Mode::create and Mode::patch.
template <typename T, typename Service, typename Input, typename Mode>
Resource<T> input_resource(std::string path, const char* not_found,
                           std::function<nlohmann::json(const T&)> to_json,
                           std::function<Result<Page<T>>(http::Context&)> list, Service& svc,
                           Result<Input> (*decode)(const nlohmann::json&, Mode)) {
  return service_resource<T>(std::move(path), not_found, std::move(to_json), std::move(list), svc,
                             decode_as(decode, Mode::create), decode_as(decode, Mode::patch));
}

// The body as it came: for an update that takes a JSON merge patch.
inline Result<nlohmann::json> merge_patch(const nlohmann::json& body) { return body; }

// Each of `items` as `to_json` prints it, in a JSON array.
template <typename Items, typename ToJson>
nlohmann::json json_array(const Items& items, const ToJson& to_json) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& x : items) out.push_back(to_json(x));
  return out;
}

// Answers a list request with a page of records.
template <typename T, typename ToJson>
void reply_page(http::Context& ctx, const Result<Page<T>>& page, const ToJson& to_json) {
  if (!page.ok()) return ctx.error(page.error());
  ctx.list(json_array(page->items, to_json), page->total, page->request);
}

// A GET route that answers with the page `list(ctx, page)` returns for the page asked for.
template <typename List, typename ToJson>
http::Route list_route(std::string path, http::Access access, List list, ToJson to_json) {
  return {"GET", std::move(path), access, [list, to_json](http::Context& ctx) {
            auto page = ctx.page_request();
            if (!page.ok()) return ctx.error(page.error());
            reply_page(ctx, list(ctx, page.value()), to_json);
          }};
}

// A DELETE route of a path with an {id}: `remove(ctx, id)` deletes; 204 when it has.
template <typename Remove>
http::Route delete_route(std::string path, http::Access access, const char* not_found,
                         Remove remove) {
  return {"DELETE", std::move(path), access, [not_found, remove](http::Context& ctx) {
            auto id = ctx.id_param("id", not_found);
            if (!id.ok()) return ctx.error(id.error());
            auto done = remove(ctx, id.value());
            if (!done.ok()) return ctx.error(done.error());
            ctx.no_content();
          }};
}

template <typename T>
void add_resource_routes(http::Router& r, Resource<T> spec, Catalog& catalog) {
  auto res = std::make_shared<const Resource<T>>(std::move(spec));
  Stored& stored = catalog[res->path];
  stored.create = [res](const nlohmann::json& body, const Actor& actor) -> Result<nlohmann::json> {
    return res->to_json(TT_TRY(res->create(body, actor)));
  };
  stored.get = [res](std::int64_t id) -> Result<nlohmann::json> {
    return res->to_json(TT_TRY(res->get(id)));
  };
  if (res->update)
    stored.update = [res](std::int64_t id, const nlohmann::json& body,
                          const Actor& actor) -> Result<nlohmann::json> {
      return res->to_json(TT_TRY(res->update(id, body, actor)));
    };
  stored.remove = res->remove;
  const std::string item = res->path + "/{id}";
  r.add({"GET", res->path, res->list_access,
         [res](http::Context& ctx) { reply_page(ctx, res->list(ctx), res->to_json); }});
  r.add({"POST", res->path, http::Access::operate, [res](http::Context& ctx) {
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto x = res->create(body.value(), ctx.actor());
           if (!x.ok()) return ctx.error(x.error());
           ctx.res.set_header("Location", fmt::format("{}/{}", res->path, x->id));
           ctx.ok(res->to_json(x.value()), 201);
         }});
  r.add({"GET", item, http::Access::read, [res](http::Context& ctx) {
           auto id = ctx.id_param("id", res->not_found);
           if (!id.ok()) return ctx.error(id.error());
           auto x = res->get(id.value());
           if (!x.ok()) return ctx.error(x.error());
           ctx.ok(res->to_json(x.value()));
         }});
  if (res->update)
    r.add({"PATCH",
           item,
           http::Access::operate,
           [res](http::Context& ctx) {
             auto id = ctx.id_param("id", res->not_found);
             if (!id.ok()) return ctx.error(id.error());
             auto body = ctx.json_body();
             if (!body.ok()) return ctx.error(body.error());
             auto x = res->update(id.value(), body.value(), ctx.actor());
             if (!x.ok()) return ctx.error(x.error());
             ctx.ok(res->to_json(x.value()));
           },
           {"application/json", "application/merge-patch+json"}});
  r.add(delete_route(
      item, http::Access::operate, res->not_found,
      [res](http::Context& ctx, std::int64_t id) { return res->remove(id, ctx.actor()); }));
}

}  // namespace tt::api
