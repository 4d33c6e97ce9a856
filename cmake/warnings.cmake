# Warning set for project code only (third-party headers are included as SYSTEM).
add_library(tern_warnings INTERFACE)
target_compile_options(tern_warnings INTERFACE -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion
  -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual)
if(TERN_WERROR)
  target_compile_options(tern_warnings INTERFACE -Werror)
endif()

# Hardening for every build that is not a sanitizer or fuzz build (the sanitizers bring their
# own checks and do not combine with _FORTIFY_SOURCE). tests/hardening_check.py verifies the
# result on the built binary. _FORTIFY_SOURCE needs optimisation, so Debug builds go without;
# level 3 (checks with sizes known only at run time) needs GCC 12.
add_library(tern_hardening INTERFACE)
if(NOT TERN_SANITIZE AND NOT TERN_FUZZ)
  include(CheckCXXCompilerFlag)
  check_cxx_compiler_flag(-fstack-clash-protection TERN_HAVE_STACK_CLASH_PROTECTION)
  check_cxx_compiler_flag(-fcf-protection TERN_HAVE_CF_PROTECTION)
  set(tern_fortify_level 2)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12)
    set(tern_fortify_level 3)
  endif()
  target_compile_options(tern_hardening INTERFACE -fstack-protector-strong
    $<$<NOT:$<CONFIG:Debug>>:-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=${tern_fortify_level}>
    $<$<BOOL:${TERN_HAVE_STACK_CLASH_PROTECTION}>:-fstack-clash-protection>
    $<$<BOOL:${TERN_HAVE_CF_PROTECTION}>:-fcf-protection>)
  # Full RELRO: relocations resolved at start-up, then the GOT is read-only. PIE: the binary is
  # loaded at a random address like its libraries.
  target_link_options(tern_hardening INTERFACE -Wl,-z,relro,-z,now -pie)
endif()
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
