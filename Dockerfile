# ssc-myositis-cds: a self-contained image (ValueSets and service definitions
# are compiled into the binary).
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY hooks hooks
COPY fhir-profiles fhir-profiles
# Embedded into the binary (sqlx::migrate!).
COPY migrations migrations
# Declared in Cargo.toml (cargo checks the file exists; the release build does not compile it).
COPY benches benches
RUN cargo build --release --locked \
 && strip target/release/ssc-myositis-cds

FROM debian:bookworm-slim
RUN useradd --system --no-create-home --uid 10001 cds \
 && mkdir -p /var/lib/ssc-myositis-cds && chown cds /var/lib/ssc-myositis-cds
COPY --from=build /src/target/release/ssc-myositis-cds /usr/local/bin/ssc-myositis-cds
USER 10001
ENV SSC_CDS_LISTEN=0.0.0.0:8080
# Audit, feedback and token ids (SQLite); or a postgres:// URL for replicas.
ENV SSC_CDS_DATABASE=/var/lib/ssc-myositis-cds/records.sqlite
VOLUME /var/lib/ssc-myositis-cds
EXPOSE 8080
ENTRYPOINT ["ssc-myositis-cds"]
CMD ["serve"]
