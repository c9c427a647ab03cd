// Internal to the Python module: a Python object with Gymnasium's Env API behind Ratchet's Env
// interface, so that every algorithm, the trainer and VectorEnv can use it.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "ratchet/env.h"

namespace ratchet::python {

// Builds a Python environment from `factory` (a class or a callable returning an env object) and
// reads its spaces. Every call into Python holds the GIL; errors name the env, the method and
// what was expected.
std::unique_ptr<Env> MakePythonEnv(const pybind11::object& factory, const std::string& id);

// Releases the live instances kept for continuations in this process (of environments that
// neither save their state nor pickle); call with the GIL held, before the interpreter ends.
void ClearLiveEnvs();

// An array's shape as Python writes it: "(6,)", "(8, 17)".
std::string ShapeText(const pybind11::array& a);

}  // namespace ratchet::python
