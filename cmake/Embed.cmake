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

# The UI's files are taken from web/public today. When web/ gains a package.json, the same
# function runs its npm build first and embeds web/dist instead, so the pipeline is already in place.
function(telltale_embed_web web_dir out)
  if(EXISTS ${web_dir}/package.json)
    file(GLOB_RECURSE web_inputs CONFIGURE_DEPENDS ${web_dir}/src/* ${web_dir}/public/*
         ${web_dir}/package.json ${web_dir}/package-lock.json ${web_dir}/*.config.*)
    set(root ${CMAKE_BINARY_DIR}/web-dist)
    add_custom_command(OUTPUT ${out}
      COMMAND npm --prefix ${web_dir} ci --no-audit --no-fund --silent
      COMMAND npm --prefix ${web_dir} run build -- --outDir ${root} --emptyOutDir
      COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DROOT=${root} -P ${CMAKE_SOURCE_DIR}/cmake/embed_web.cmake
      DEPENDS ${web_inputs} ${CMAKE_SOURCE_DIR}/cmake/embed_web.cmake
      COMMENT "Building and embedding the web UI")
  else()
    file(GLOB_RECURSE web_inputs CONFIGURE_DEPENDS ${web_dir}/public/*)
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DROOT=${web_dir}/public -P ${CMAKE_SOURCE_DIR}/cmake/embed_web.cmake
      DEPENDS ${web_inputs} ${CMAKE_SOURCE_DIR}/cmake/embed_web.cmake
      COMMENT "Embedding the web UI")
  endif()
endfunction()
