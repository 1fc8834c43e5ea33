# syntax=docker/dockerfile:1.7
# ssc-myositis-cds: a self-contained image (ValueSets and service definitions
# are compiled into the binary). Needs BuildKit (the default builder of
# Docker 23+ and of Podman/Buildah) for the cache mounts.
#
#   docker build -t ssc-myositis-cds .
#   docker run -p 8080:8080 -v cds-data:/var/lib/ssc-myositis-cds \
#     -v $PWD/config.toml:/etc/ssc-myositis-cds/config.toml:ro ssc-myositis-cds
#
# .ci/container-steps runs the same build and start-up steps without a
# container engine.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# The crate registry and the target directory are BuildKit cache mounts that
# outlive the build: the ~200 dependencies are compiled once, and an edit to
# src/ recompiles only this crate. The lock file is enforced (--locked).
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY hooks hooks
COPY fhir-profiles fhir-profiles
# Embedded into the binary (sqlx::migrate!).
COPY migrations migrations
# Declared in Cargo.toml (cargo checks the file exists; the release build does not compile it).
COPY benches benches
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
 && mkdir -p /out \
 && cp target/release/ssc-myositis-cds /out/ \
 && strip /out/ssc-myositis-cds

FROM debian:bookworm-slim
# CA certificates: JWKS and FHIR servers over https (hospital CAs can be
# added by mounting them into /usr/local/share/ca-certificates and running
# update-ca-certificates in a derived image).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --uid 10001 cds \
 && mkdir -p /var/lib/ssc-myositis-cds /var/lib/ssc-myositis-cds-key /etc/ssc-myositis-cds \
 && chown cds /var/lib/ssc-myositis-cds \
 && chown cds /var/lib/ssc-myositis-cds-key && chmod 700 /var/lib/ssc-myositis-cds-key
COPY --from=build /out/ssc-myositis-cds /usr/local/bin/ssc-myositis-cds
COPY config/container/config.toml /etc/ssc-myositis-cds/config.toml
USER 10001
# Every setting can also be given as SSC_CDS_<SECTION>__<KEY>, e.g.
# SSC_CDS_SERVER__PUBLIC_BASE_URL or SSC_CDS_DATABASE__URL.
ENV SSC_CDS_CONFIG=/etc/ssc-myositis-cds/config.toml \
    SSC_CDS_LOG_FORMAT=json \
    XDG_STATE_HOME=/var/lib/ssc-myositis-cds-key
# Audit, feedback and token ids (SQLite), unless database.url is postgres://.
VOLUME /var/lib/ssc-myositis-cds
# The audit key (SQLite default: ssc-myositis-cds/audit-key here), kept apart
# from the database volume; or name one with database.audit_key_file.
VOLUME /var/lib/ssc-myositis-cds-key
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["ssc-myositis-cds", "probe", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["ssc-myositis-cds"]
CMD ["serve"]
