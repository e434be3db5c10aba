import os
import re

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy, load, rmdir


class AsyncioCppConan(ConanFile):
    name = "asyncio-cpp"
    license = "BSL-1.0"
    description = "Python's asyncio event loop, semantics included, for C++20 on Boost.Asio"
    topics = ("asyncio", "asio", "coroutines", "event-loop")
    package_type = "library"  # static or shared, as the `shared` option says
    settings = "os", "arch", "compiler", "build_type"
    options = {"shared": [True, False], "fPIC": [True, False]}
    default_options = {"shared": False, "fPIC": True}
    exports_sources = "CMakeLists.txt", "cmake/*", "include/*", "lib/*", "LICENSE"

    def set_version(self):
        # One version, kept in CMakeLists.txt.
        text = load(self, os.path.join(self.recipe_folder, "CMakeLists.txt"))
        self.version = re.search(r"project\(asyncio-cpp VERSION ([0-9.]+)", text).group(1)

    def config_options(self):
        if self.settings.os == "Windows":
            del self.options.fPIC

    def configure(self):
        if self.options.shared:
            self.options.rm_safe("fPIC")

    def validate(self):
        # Coroutines and concepts: a C++17 profile (gcc 12's default, as `conan profile detect`
        # finds it) would build a package whose consumers cannot compile its headers.
        check_min_cppstd(self, 20)

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        # Only header-only Boost is used: Asio, Process v2, and System (header-only since 1.69).
        self.requires("boost/[>=1.81]", transitive_headers=True,
                      options={"header_only": True})
        # TLS: <asyncio/ssl.hpp> exposes Asio's ssl::context, so OpenSSL's headers are public.
        self.requires("openssl/[>=1.1.1 <4]", transitive_headers=True, transitive_libs=True)

    def generate(self):
        toolchain = CMakeToolchain(self)
        toolchain.cache_variables["ASYNCIO_CPP_BUILD_TESTS"] = False
        toolchain.cache_variables["ASYNCIO_CPP_BUILD_EXAMPLES"] = False
        toolchain.cache_variables["ASYNCIO_CPP_BUILD_BENCH"] = False
        toolchain.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        CMake(self).install()
        # Conan's generators (CMakeDeps, PkgConfigDeps) write the consumers' CMake config and
        # .pc files from package_info(), pointing at the dependencies Conan resolved. The
        # project's own would find_dependency() Boost and OpenSSL wherever CMake looks instead,
        # and could be picked up in place of the generated ones: they are not shipped.
        rmdir(self, os.path.join(self.package_folder, "lib", "cmake"))
        rmdir(self, os.path.join(self.package_folder, "lib", "pkgconfig"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "asyncio-cpp")
        self.cpp_info.set_property("cmake_target_name", "asyncio::asyncio")
        self.cpp_info.set_property("pkg_config_name", "asyncio-cpp")
        self.cpp_info.libs = ["asyncio-cpp"]
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread"]
        # An OpenSSL the platform provides ([platform_requires]) brings no link flags of
        # its own: name its libraries, since <asyncio/ssl.hpp> calls into them.
        try:
            openssl = self.dependencies["openssl"].cpp_info
            provided = bool(openssl.libs or openssl.components)
        except KeyError:  # platform_requires leaves it out of the graph
            provided = False
        if not provided:
            self.cpp_info.system_libs += ["ssl", "crypto"]
