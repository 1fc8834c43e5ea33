# ssc-myositis-cds: a self-contained image (ValueSets and service definitions
# are compiled into the binary).
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY hooks hooks
COPY fhir-profiles fhir-profiles
# Declared in Cargo.toml (cargo checks the file exists; the release build does not compile it).
COPY benches benches
RUN cargo build --release --locked \
 && strip target/release/ssc-myositis-cds

FROM debian:bookworm-slim
RUN useradd --system --no-create-home --uid 10001 cds
COPY --from=build /src/target/release/ssc-myositis-cds /usr/local/bin/ssc-myositis-cds
USER 10001
ENV SSC_CDS_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["ssc-myositis-cds"]
CMD ["serve"]
