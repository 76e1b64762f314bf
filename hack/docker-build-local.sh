#!/usr/bin/env bash
# `make docker-build-local`: builds the dockwatch image without a registry.
# The binaries are built here, static (CGO_ENABLED=0) with the Dockerfile's
# builder flags, and put into a FROM scratch image (hack/image/Dockerfile)
# that matches the Dockerfile's distroless final stage: non-root user 65532,
# ENTRYPOINT /manager, /dockwatch beside it.
#
# Usage: IMG=dockwatch:dev hack/docker-build-local.sh
# DOCKER_HOST picks the daemon, as for the docker CLI; DOCKER (default
# docker) the client.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
img=${IMG:-dockwatch:dev}
docker=${DOCKER:-docker}
log() { echo "docker-build-local: $*" >&2; }

ctx=$(mktemp -d /tmp/dockwatch-image.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
root="$ctx/rootfs"
mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$ctx/home-nonroot"
chmod 1777 "$root/tmp"

log "building static binaries (linux/$(go env GOARCH))"
for target in manager:./cmd dockwatch:./cmd/dockwatch; do
  CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o "$root/${target%%:*}" "${target#*:}"
done

# The users and groups distroless/static:nonroot ships.
cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
nobody:x:65534:
nonroot:x:65532:
GROUP
# CA certificates, as distroless has them (for daemons whose certificates a
# public CA signed and no Secret CA is given).
if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
else
  log "no /etc/ssl/certs/ca-certificates.crt on this machine; the image has no system CA bundle"
fi
cp hack/image/Dockerfile "$ctx/Dockerfile"

log "building $img from scratch (no registry needed)"
# The classic builder: FROM scratch needs nothing it would have to pull.
DOCKER_BUILDKIT=0 "$docker" build --quiet -t "$img" "$ctx" >/dev/null
log "built $img"
echo "$img"
