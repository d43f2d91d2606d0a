# syntax=docker/dockerfile:1
#
# notifier: polls the Huawei Cloud DCS task center and publishes task events to NATS/Slack.
#
#   docker build --build-arg VERSION=v1.2.3 -t notifier .
#   docker run -d --name notifier \
#     -v /srv/notifier/config.toml:/etc/notifier/config.toml:ro \
#     -v notifier-state:/var/lib/notifier \
#     -e CLOUD_SDK_AK -e CLOUD_SDK_SK -e SLACK_WEBHOOK_URL \
#     -p 9464:9464 notifier
#
# No credential is baked into any layer: the AK/SK, NATS token and Slack webhook URL come
# from the environment (or mounted *_file secrets) when the container runs.
#
# The configuration mounted at /etc/notifier/config.toml must set
#   [state]
#   path = "/var/lib/notifier"      # the volume below; the default ./notifier-state is not writable
#   [http]
#   listen = "0.0.0.0:9464"         # the default 127.0.0.1:9464 cannot be reached from outside
#                                   # the container, so /metrics and the probes would be dead
# Try it without a cloud account: docker run --rm notifier demo

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so that a change of source code does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/notifier ./cmd/notifier \
    && mkdir -p /out/state

# distroless static: CA certificates for the DCS API and Slack, no shell, user 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/notifier /notifier
# The state directory belongs to the nonroot user so that a fresh named volume is writable.
COPY --from=build --chown=65532:65532 /out/state /var/lib/notifier
USER 65532:65532
VOLUME /var/lib/notifier
EXPOSE 9464
ENTRYPOINT ["/notifier"]
CMD ["run", "--config", "/etc/notifier/config.toml"]
