# Compiles migrations and the web UI into the binary as byte arrays. The generated sources live in
# the build tree only; the scripts below run at build time so edits to web/ or migrations/ rebuild.

# The script globs the directory itself: a list passed on the command line would be split at
# its semicolons by the shell.
function(telltale_embed_migrations out dir)
  file(GLOB files CONFIGURE_DEPENDS ${dir}/*.sql)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DDIR=${dir} -P ${CMAKE_SOURCE_DIR}/cmake/embed_migrations.cmake
    DEPENDS ${files} ${CMAKE_SOURCE_DIR}/cmake/embed_migrations.cmake
    COMMENT "Embedding migrations")
endfunction()

# The UI: web/ is built by esbuild (web/build.mjs) into the build tree and the output embedded.
# `npm ci` runs only when web/node_modules is missing or older than the lockfile; the build
# fails when the gzipped JS and CSS exceed the budget (see build.mjs).
function(telltale_embed_web web_dir out)
  find_program(NODE_EXECUTABLE node REQUIRED)
  find_program(NPM_EXECUTABLE npm REQUIRED)
  file(GLOB_RECURSE web_inputs CONFIGURE_DEPENDS ${web_dir}/src/* ${web_dir}/public/*)
  set(root ${CMAKE_BINARY_DIR}/web-dist)
  set(installed ${web_dir}/node_modules/.package-lock.json)
  add_custom_command(OUTPUT ${installed}
    COMMAND ${NPM_EXECUTABLE} ci --no-audit --no-fund --silent
    COMMAND ${CMAKE_COMMAND} -E touch ${installed}
    WORKING_DIRECTORY ${web_dir}
    DEPENDS ${web_dir}/package-lock.json ${web_dir}/package.json
    COMMENT "Installing the web UI's npm packages")
  add_custom_command(OUTPUT ${out}
    COMMAND ${NODE_EXECUTABLE} build.mjs --outdir ${root}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DROOT=${root} -P ${CMAKE_SOURCE_DIR}/cmake/embed_web.cmake
    WORKING_DIRECTORY ${web_dir}
    DEPENDS ${web_inputs} ${installed} ${web_dir}/build.mjs ${web_dir}/index.html ${CMAKE_SOURCE_DIR}/cmake/embed_web.cmake
    COMMENT "Building and embedding the web UI")
endfunction()
