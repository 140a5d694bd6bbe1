# The fieldlink container image. Build it from the repository root:
#
#   docker build --build-arg VERSION=1.4.0 -t fieldlink:1.4.0 .
#
# The binary is static (CGO_ENABLED=0: the SQLite driver is pure Go), and the
# image runs it as user 10001, serving on 0.0.0.0:8080 with the data folder
# on the volume /var/lib/fieldlink. docs/deploy.md describes how to run it.
# go test ./deploy runs the build command below on every test run
# (deploy/binary_test.go), and deploy/dockerfile_test.go checks this file.

FROM golang:1.26-alpine AS build
WORKDIR /src

# Download the modules first, so that a change to the sources alone reuses
# this layer.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/fieldlink ./cmd/fieldlink

FROM alpine:3.22

# ca-certificates verifies the TLS certificates of Entra ID, Microsoft Graph,
# Jira and the other APIs. BusyBox's wget serves the HEALTHCHECK.
RUN apk add --no-cache ca-certificates \
    && addgroup -S -g 10001 fieldlink \
    && adduser -S -D -H -u 10001 -G fieldlink -h /var/lib/fieldlink fieldlink \
    && install -d -m 0700 -o fieldlink -g fieldlink /var/lib/fieldlink

COPY --from=build /out/fieldlink /usr/local/bin/fieldlink

USER 10001:10001
ENV FIELDLINK_LISTEN=0.0.0.0:8080 \
    FIELDLINK_DATA=/var/lib/fieldlink
VOLUME ["/var/lib/fieldlink"]
EXPOSE 8080

# Liveness only: /healthz does not depend on the database, so an outage of
# PostgreSQL does not mark every container unhealthy. Change the port here if
# FIELDLINK_LISTEN changes.
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
    CMD wget -q -O /dev/null http://127.0.0.1:8080/healthz || exit 1

ENTRYPOINT ["/usr/local/bin/fieldlink"]
CMD ["serve"]
