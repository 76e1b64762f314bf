# One image for both modes: the manager (cluster mode and node agent) and the
# dockwatch CLI. Build with `make docker-build IMG=...`.
FROM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH

WORKDIR /workspace
# Download modules in their own layer so code changes do not re-download them.
COPY go.mod go.sum ./
RUN go mod download

COPY api/ api/
COPY cmd/ cmd/
COPY controllers/ controllers/
COPY internal/ internal/

# Static binaries: the final image has no libc.
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o manager ./cmd && \
    CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o dockwatch ./cmd/dockwatch

# Distroless static: no shell, no package manager, non-root by default. The
# node agent's DaemonSet overrides the user to reach the Docker socket (see
# config/agent/daemonset.yaml).
# Offline twin: hack/image/Dockerfile (`make docker-build-local`) builds the
# same final image FROM scratch where no registry is reachable; keep the two
# final stages equivalent (files at /, WORKDIR, USER, ENTRYPOINT).
FROM gcr.io/distroless/static:nonroot
WORKDIR /
COPY --from=builder /workspace/manager /workspace/dockwatch /
USER 65532:65532

ENTRYPOINT ["/manager"]
