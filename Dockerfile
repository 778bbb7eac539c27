# syntax=docker/dockerfile:1
# matchledger in a container: a multi-stage build, a non-root user, the data on a volume.
#   docker build -t matchledger .
#   docker run -v matchledger-data:/var/lib/matchledger \
#              -v ./principals.toml:/etc/matchledger/principals.toml:ro \
#              -p 50051:50051 -p 8080:8080 matchledger
# See docs/operations.md.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# The proto files are compiled by a pure-Rust compiler: no protoc is needed.
RUN cargo build --release --locked --bin matchledger \
 && cp target/release/matchledger /usr/local/bin/matchledger

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system matchledger \
 && useradd --system --gid matchledger --home-dir /var/lib/matchledger --shell /usr/sbin/nologin matchledger \
 && mkdir -p /var/lib/matchledger /etc/matchledger \
 && chown matchledger:matchledger /var/lib/matchledger
COPY --from=build /usr/local/bin/matchledger /usr/local/bin/matchledger
USER matchledger:matchledger
VOLUME /var/lib/matchledger
# Outside loopback the server refuses to run without principals (or --insecure): mount a
# principals file made with `matchledger principal add`.
ENV MATCHLEDGER_DATA_DIR=/var/lib/matchledger \
    MATCHLEDGER_LISTEN=0.0.0.0:50051 \
    MATCHLEDGER_PRINCIPALS=/etc/matchledger/principals.toml \
    MATCHLEDGER_LOG_FORMAT=json
EXPOSE 50051
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/matchledger"]
CMD ["serve"]
