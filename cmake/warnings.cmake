# Warning set for project code only (third-party headers are included as SYSTEM).
add_library(tern_warnings INTERFACE)
target_compile_options(tern_warnings INTERFACE -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion
  -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual)
if(TERN_WERROR)
  target_compile_options(tern_warnings INTERFACE -Werror)
endif()

# Hardening for every build that is not a sanitizer or fuzz build.
add_library(tern_hardening INTERFACE)
if(NOT TERN_SANITIZE AND NOT TERN_FUZZ)
  target_compile_options(tern_hardening INTERFACE -fstack-protector-strong
    $<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2>)
  target_link_options(tern_hardening INTERFACE -Wl,-z,relro,-z,now)
endif()
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
