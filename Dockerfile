# syntax=docker/dockerfile:1
#
# notifier: polls the Huawei Cloud DCS task center and publishes task events to NATS/Slack.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) -t notifier .
#   docker buildx build --platform linux/amd64,linux/arm64 ... (cross-compiled, no emulation)
#
#   docker run -d --name notifier \
#     -v $PWD/notifier.toml:/etc/notifier/config.toml:ro \
#     -v notifier-state:/var/lib/notifier \
#     -e CLOUD_SDK_AK -e CLOUD_SDK_SK -e SLACK_WEBHOOK_URL \
#     -p 9464:9464 notifier
#
# In this image, unlike a plain build:
#   - http.listen defaults to 0.0.0.0:9464 (stamped below), so /metrics, /healthz and
#     /readyz answer on the published port; a config that sets http.listen wins (secure it
#     with http.web_config_file: docs/security.md, Securing the listener);
#   - NOTIFIER_CONFIG is /etc/notifier/config.toml, read by run and by the HEALTHCHECK
#     alike: mount the config there, or set NOTIFIER_CONFIG (not --config, which the
#     HEALTHCHECK would not see) to read it elsewhere;
#   - the working directory is /var/lib/notifier, a volume owned by the non-root user, so
#     the default state.path ./notifier-state is writable and kept across containers
#     (state.path = "/var/lib/notifier" puts the state at the volume's root).
# No credential is baked into any layer: the AK/SK, NATS token and Slack webhook URLs come
# from the environment (or mounted *_file secrets) when the container runs.
# Try it without a cloud account: docker run --rm notifier demo

# The build stage runs on the builder's own platform and cross-compiles (CGO off) for the
# target: no emulation, and one cached module download for every platform.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so that a change of source code does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
# VERSION and COMMIT are what `notifier version` and notifier_build_info show; .git is
# not in the build context (.dockerignore), so the commit comes from the argument.
ARG VERSION=dev
ARG COMMIT=
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X notifier/internal/config.defaultListen=0.0.0.0:9464" \
      -o /out/notifier ./cmd/notifier \
    && mkdir -p /out/state

# distroless static: CA certificates for the DCS API and Slack, no shell, user 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/notifier /notifier
# Created owned by the non-root user, so that a fresh named volume is writable too.
COPY --from=build --chown=65532:65532 /out/state /var/lib/notifier
WORKDIR /var/lib/notifier
USER 65532:65532
VOLUME /var/lib/notifier
EXPOSE 9464
ENV NOTIFIER_CONFIG=/etc/notifier/config.toml
# No shell or curl here: the binary asks its own /healthz (liveness), at the http.listen
# of $NOTIFIER_CONFIG, over TLS and with basic auth as its http.web_config_file says
# (-e NOTIFIER_WEB_USERNAME -e NOTIFIER_WEB_PASSWORD, or --health-cmd with
# --web.password-file). Without that file (docker run … demo) it asks the default
# 0.0.0.0:9464, where the demo listens in this image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=1m --retries=3 \
  CMD ["/notifier", "healthcheck"]
ENTRYPOINT ["/notifier"]
CMD ["run"]
