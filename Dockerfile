# Tern in a container: built from this repository on Debian 12, shipped as the Debian package
# the build makes, so the image holds the same files an apt installation would.
#   docker build -t tern .
#   docker run -p 1883:1883 -v tern-data:/var/lib/tern tern
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN ./scripts/setup.sh --build \
 && cmake --preset release -DTERN_BENCH=OFF -DTERN_BENCH_TOOL=OFF \
 && cmake --build --preset release \
 && cd build/release && cpack -G DEB

FROM debian:12-slim
COPY --from=build /src/build/release/tern_*.deb /tmp/
COPY packaging/docker/tern.toml /etc/tern/container.toml
RUN apt-get update \
 && apt-get install -y --no-install-recommends /tmp/tern_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/tern_*.deb \
 && install -d -o tern -g tern -m 0750 /var/lib/tern
USER tern
VOLUME /var/lib/tern
EXPOSE 1883
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tern", "-c", "/etc/tern/container.toml", "--data-dir", "/var/lib/tern"]
