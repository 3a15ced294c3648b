# OTLPD_STATIC_DEPS: link gRPC, protobuf, Abseil, OpenSSL and the other
# libraries Debian ships as static archives (.a) into the binary, and let the
# linker drop every section nothing references (--gc-sections).
#
# Why: a dynamically linked otlpd maps ~30 shared libraries; the kernel faults
# in their pages around whatever is touched and every library brings its own
# relocated data, so an idle otlpd had 17 of its 19 MiB RSS in library pages.
# One static binary holds only the code that is reachable, packed together.
#
# How: the imported targets the packages' CMake files define (gRPC::grpc,
# absl::strings, protobuf::libprotobuf, OpenSSL::SSL, ...) keep their names;
# their IMPORTED_LOCATION is pointed at the .a beside the .so. Debian builds
# its static archives with -fPIE, so a PIE links them. The libraries with no
# archive in Debian 12 (simdjson, spdlog, fmt) and the C and C++ runtimes stay
# shared: the C++ runtime must, as libsimdjson.so and libspdlog.so link it.
#
# Call otlpd_link_static_deps() at the top level after every find_package of
# these packages: imported targets are visible from the directory that found
# them down, so the top level sees (and rewrites) the ones every target uses.

# "/usr/lib/x86_64-linux-gnu/libgrpc.so.29.0.0" -> ".../libgrpc.a" when it exists.
function(_otlpd_static_archive shared out)
  set(${out} "" PARENT_SCOPE)
  if(NOT shared MATCHES "^(.*/)?lib([^/]+)\\.so(\\.[0-9.]+)?$")
    return()
  endif()
  get_filename_component(dir "${shared}" DIRECTORY)
  set(archive "${dir}/lib${CMAKE_MATCH_2}.a")
  if(EXISTS "${archive}")
    set(${out} "${archive}" PARENT_SCOPE)
  endif()
endfunction()

# A library name ("re2") -> its archive in the system library dir.
function(_otlpd_static_by_name name out)
  find_library(_otlpd_static_${name} NAMES lib${name}.a NO_CACHE)
  if(_otlpd_static_${name})
    set(${out} "${_otlpd_static_${name}}" PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

# Points one imported target at static archives; returns whether it changed.
function(_otlpd_make_static target changed)
  set(${changed} FALSE PARENT_SCOPE)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    # pkg-config style targets: the library is a name or a path in the link list.
    get_target_property(libs ${target} INTERFACE_LINK_LIBRARIES)
    if(NOT libs)
      return()
    endif()
    set(new_libs "")
    set(any FALSE)
    foreach(lib IN LISTS libs)
      set(archive "")
      if(lib MATCHES "^/.*\\.so")
        _otlpd_static_archive("${lib}" archive)
      elseif(lib MATCHES "^(-l)?([A-Za-z0-9_+-]+)$" AND NOT TARGET ${lib})
        # "re2" or "-lre2" (pkg-config's LDFLAGS); the C runtime's own stay shared.
        set(name "${CMAKE_MATCH_2}")
        if(NOT name MATCHES "^(c|dl|m|rt|pthread|atomic)$")
          _otlpd_static_by_name(${name} archive)
        endif()
      endif()
      if(archive)
        list(APPEND new_libs "${archive}")
        set(any TRUE)
      else()
        list(APPEND new_libs "${lib}")
      endif()
    endforeach()
    if(any)
      set_target_properties(${target} PROPERTIES INTERFACE_LINK_LIBRARIES "${new_libs}")
      set(${changed} TRUE PARENT_SCOPE)
    endif()
    return()
  endif()
  if(NOT type MATCHES "^(SHARED|UNKNOWN)_LIBRARY$")
    return()
  endif()
  get_target_property(configs ${target} IMPORTED_CONFIGURATIONS)
  set(props IMPORTED_LOCATION)
  if(configs)
    foreach(config IN LISTS configs)
      string(TOUPPER "${config}" config)
      list(APPEND props IMPORTED_LOCATION_${config})
    endforeach()
  endif()
  set(any FALSE)
  foreach(prop IN LISTS props)
    get_target_property(location ${target} ${prop})
    if(location)
      _otlpd_static_archive("${location}" archive)
      if(archive)
        set_target_properties(${target} PROPERTIES ${prop} "${archive}")
        set(any TRUE)
      endif()
    endif()
  endforeach()
  set(${changed} ${any} PARENT_SCOPE)
endfunction()

function(otlpd_link_static_deps)
  get_directory_property(imported IMPORTED_TARGETS)
  set(made_static "")
  foreach(target IN LISTS imported)
    if(target MATCHES "^(gRPC::(grpc\\+\\+|grpc|gpr|upb|address_sorting)|absl::.*|protobuf::libprotobuf|OpenSSL::(SSL|Crypto)|ZLIB::ZLIB|c-ares::cares|re2::re2|yaml-cpp|Boost::system|zstd::libzstd_shared|Snappy::snappy|PkgConfig::LZ4|PkgConfig::NGHTTP2|otlpd::deflate)$")
      _otlpd_make_static(${target} changed)
      if(changed)
        list(APPEND made_static ${target})
      endif()
    endif()
  endforeach()
  # What the shared libraries brought along themselves, the archives need on the
  # link line: libcrypto.a dlopen()s and starts threads, protobuf inflates with zlib.
  if(TARGET OpenSSL::Crypto)
    set_property(TARGET OpenSSL::Crypto APPEND PROPERTY INTERFACE_LINK_LIBRARIES ${CMAKE_DL_LIBS} Threads::Threads)
  endif()
  if(TARGET protobuf::libprotobuf)
    set_property(TARGET protobuf::libprotobuf APPEND PROPERTY INTERFACE_LINK_LIBRARIES ZLIB::ZLIB Threads::Threads)
  endif()
  list(LENGTH made_static count)
  message(STATUS "OTLPD_STATIC_DEPS: ${count} imported libraries linked from static archives")
  # Only the archive sections something references go into the binary.
  add_link_options(-Wl,--gc-sections -Wl,--as-needed)
  # Relative relocations packed as a bitmap (DT_RELR, glibc 2.36, binutils 2.38):
  # the loader reads 11 KiB instead of the 1 MiB .rela.dyn a PIE carries, and
  # that 1 MiB no longer stays resident.
  include(CheckLinkerFlag)
  check_linker_flag(CXX "-Wl,-z,pack-relative-relocs" OTLPD_LINKER_HAS_RELR)
  if(OTLPD_LINKER_HAS_RELR)
    add_link_options(-Wl,-z,pack-relative-relocs)
  endif()
endfunction()
