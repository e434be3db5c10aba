# Conan 2 profile for Debian 12: Boost and OpenSSL come from Debian's packages.
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

[conf]
tools.cmake.cmaketoolchain:generator=Ninja
