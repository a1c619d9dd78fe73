# The image the Helm chart runs: `minsheng` and the demo city bundles, as a
# non-root user on a slim Debian. Build: docker build -t minsheng .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p minsheng-server --bin minsheng \
 && strip target/release/minsheng

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 minsheng \
 && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin minsheng \
 && mkdir -p /data && chown minsheng:minsheng /data
COPY --from=build /src/target/release/minsheng /app/minsheng
COPY tenants /app/tenants
ENV MINSHENG_LISTEN=0.0.0.0:8080 \
    MINSHENG_DATA_DIR=/data \
    MINSHENG_TENANTS_DIR=/app/tenants
USER 10001:10001
EXPOSE 8080
VOLUME ["/data"]
ENTRYPOINT ["/app/minsheng"]
CMD ["serve"]
