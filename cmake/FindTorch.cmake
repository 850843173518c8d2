# SPDX-License-Identifier: GPL-3.0-or-later
# Read by meson's dependency('Torch', method: 'cmake') before Torch's own
# config (cmake_module_path in meson.build).  It loads that config unchanged
# and takes one item out of what it links: torch_cpu_library's
# `-Wl,--no-as-needed,"…/libtorch_cpu.so" -Wl,--as-needed`, which meson's
# CMake import cannot read and warned about on every first `meson setup`.
# meson.build links libtorch_cpu with --no-as-needed itself.
find_package(Torch CONFIG REQUIRED)
if(TARGET torch_cpu_library)
  set_property(TARGET torch_cpu_library PROPERTY INTERFACE_LINK_LIBRARIES
               "$<TARGET_PROPERTY:torch_cpu,INTERFACE_LINK_LIBRARIES>")
endif()
