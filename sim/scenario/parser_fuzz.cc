// libFuzzer target: the scenario parser must turn any bytes into a Scenario or a Status
// with a location, never crash. Built with -DMMSIM_FUZZ=ON and clang++.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/scenario/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 16) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto sc = mmsim::scenario::ParseScenarioText(text, "fuzz.scn", /*allow_include=*/false);
  if (!sc.ok()) {
    // Every error names its place.
    if (sc.status().message().rfind("fuzz.scn:", 0) != 0) __builtin_trap();
  }
  return 0;
}
