// api/resource.h — the list/create/get/patch/delete routes that every stored resource shares
// (nodes, checks, alert rules, silences, maintenance windows, inhibit rules, channels). The
// handlers differ only in how a query or body decodes, which service call runs and how a record
// prints, so a resource names those and gets the routes, with the same status codes, Location
// header and 404 code everywhere.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <string>

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
};

// The create/get/patch/delete of a service that takes a decoded record on create and a JSON
// merge patch on update (maintenance windows, inhibit rules): `decode(body)` makes the record.
template <typename T, typename Service, typename Decode>
Resource<T> merge_patch_resource(std::string path, const char* not_found,
                                 std::function<nlohmann::json(const T&)> to_json,
                                 std::function<Result<Page<T>>(http::Context&)> list, Service& svc,
                                 Decode decode) {
  return {std::move(path),
          not_found,
          std::move(to_json),
          std::move(list),
          [&svc, decode](const nlohmann::json& body, const Actor& actor) -> Result<T> {
            auto in = decode(body);
            if (!in.ok()) return std::move(in).error();
            return svc.create(std::move(in.value()), actor);
          },
          [&svc](std::int64_t id) { return svc.get(id); },
          [&svc](std::int64_t id, const nlohmann::json& body, const Actor& actor) {
            return svc.update(id, body, actor);
          },
          [&svc](std::int64_t id, const Actor& actor) { return svc.remove(id, actor); }};
}

template <typename T>
void add_resource_routes(http::Router& r, Resource<T> spec) {
  auto res = std::make_shared<const Resource<T>>(std::move(spec));
  const std::string item = res->path + "/{id}";
  r.add({"GET", res->path, http::Access::read, [res](http::Context& ctx) {
           auto page = res->list(ctx);
           if (!page.ok()) return ctx.error(page.error());
           nlohmann::json items = nlohmann::json::array();
           for (const auto& x : page->items) items.push_back(res->to_json(x));
           ctx.list(items, page->total, page->request);
         }});
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
  r.add({"DELETE", item, http::Access::operate, [res](http::Context& ctx) {
           auto id = ctx.id_param("id", res->not_found);
           if (!id.ok()) return ctx.error(id.error());
           auto done = res->remove(id.value(), ctx.actor());
           if (!done.ok()) return ctx.error(done.error());
           ctx.no_content();
         }});
}

}  // namespace tt::api
