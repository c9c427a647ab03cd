# `pip install --no-build-isolation .` (inside a virtual environment made with
# --system-site-packages, since Debian's Python refuses system-wide installs): builds the
# `ratchet` Python package with CMake, offline, from Debian's setuptools, pybind11 and NumPy.
import os
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


class CMakeBuild(build_ext):
    """Configures and builds the library and the extension, then installs both (and the Python
    files) into the package directory, the extension finding the library beside it."""

    def build_extension(self, ext):
        package_dir = os.path.abspath(os.path.dirname(self.get_ext_fullpath(ext.name)))
        build = os.path.abspath(os.path.join(self.build_temp, "cmake"))
        jobs = str(os.cpu_count() or 2)
        subprocess.check_call(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                               "-DCMAKE_CXX_FLAGS_RELEASE=-O3 -DNDEBUG", "-DRATCHET_BUILD_TESTS=OFF",
                               "-DRATCHET_BUILD_BENCH=OFF", f"-DPython3_EXECUTABLE={sys.executable}",
                               f"-DRATCHET_PYTHON_PACKAGE_DIR={package_dir}"])
        subprocess.check_call(["cmake", "--build", build, "--target", "_ratchet", "-j", jobs])
        subprocess.check_call(["cmake", "--install", build, "--component", "python"])


setup(
    name="ratchet",
    version="0.1.0",
    description="Policy-gradient reinforcement learning in C++ (VPG, A2C, NPG, TRPO, PPO, ACKTR)",
    packages=["ratchet"],
    package_dir={"ratchet": "python/ratchet"},
    ext_modules=[Extension("ratchet._ratchet", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    install_requires=["numpy"],
    zip_safe=False,
)
