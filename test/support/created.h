#pragma once

#include <string_view>
#include <vector>

namespace otlpd::test {

// Wraps the factory of `type` in `factories` so that `created` points at the
// component it makes (as a T): a test reads what the component bound (its
// port, for an endpoint with port 0) once the Service has started it.
template <class T, class Factory>
void CaptureCreated(std::vector<Factory>& factories, std::string_view type, T*& created) {
  for (Factory& f : factories) {
    if (f.type != type) continue;
    f.create = [create = f.create, &created](const auto&... args) {
      auto component = create(args...);
      created = dynamic_cast<T*>(component.get());
      return component;
    };
  }
}

}  // namespace otlpd::test
