# Conan 2 profile for Debian 12: Boost, OpenSSL and Catch2 come from Debian's packages.
[settings]
os=Linux
arch=x86_64
compiler=gcc
compiler.version=12
compiler.libcxx=libstdc++11
compiler.cppstd=20
build_type=Release

[platform_requires]
boost/1.81.0
openssl/3.0.19
catch2/2.13.10

[conf]
tools.cmake.cmaketoolchain:generator=Ninja
