# syntax=docker/dockerfile:1
# Dispatch in a container: the gateway is PID 1 (it reaps orphans and turns SIGTERM into a clean
# shutdown), all state is in the /data volume, and the image runs with
#   docker run --read-only --tmpfs /tmp --security-opt no-new-privileges -p 127.0.0.1:3030:3030 -v dispatch-data:/data dispatch
# Claude Code is added with  --build-arg CLAUDE_CODE=true  (see README, "Docker").

ARG SWIFT_VERSION=6.3
ARG DEBIAN_RELEASE=bookworm

# --- build: release binaries with the Swift runtime linked in, and the browser libraries -------
FROM swift:${SWIFT_VERSION}-${DEBIAN_RELEASE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libsqlite3-dev python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Package.swift names the test targets too, so their folders must be present for it to load.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY static ./static
COPY etc ./etc
RUN swift build -c release --static-swift-stdlib --product dispatch-gateway \
 && swift build -c release --static-swift-stdlib --product dispatch-worker \
 && install -d /out/bin /out/share/dispatch \
 && install -m 0755 .build/release/dispatch-gateway .build/release/dispatch-worker /out/bin/
# xterm.js from a pinned PyPI wheel, each file checked against its sha256.
RUN static/fetch-vendor.sh \
 && cp -R static /out/share/dispatch/static \
 && rm /out/share/dispatch/static/fetch-vendor.sh

# Claude Code's native `claude` binary, from the PyPI wheel of its Agent SDK that bundles it
# (a pinned version; pip picks the wheel for the build platform, amd64 or arm64).
ARG CLAUDE_CODE=false
ARG CLAUDE_AGENT_SDK_VERSION=0.2.189
RUN if [ "$CLAUDE_CODE" = "true" ]; then \
      CLAUDE_AGENT_SDK_VERSION="$CLAUDE_AGENT_SDK_VERSION" DISPATCH_VENDOR_CACHE=/tmp/cache etc/fetch-claude-cli /out/bin/claude; \
    fi

# --- runtime: what a session needs, and nothing to build with ----------------------------------
FROM debian:${DEBIAN_RELEASE}-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      bash ca-certificates git libsqlite3-0 less openssh-client procps \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 dispatch \
 && useradd --uid 10001 --gid 10001 --home-dir /data --no-create-home --shell /bin/bash dispatch \
 && install -d -o 10001 -g 10001 -m 0700 /data
COPY --from=build /out/bin/ /usr/local/bin/
COPY --from=build /out/share/dispatch/ /usr/local/share/dispatch/

# /data holds everything that changes: the key, the database, run/ (the worker socket), the
# workspaces, and (as HOME) the users' dot-files and Claude Code's login. Nothing else is written,
# so the root file system can be read-only.
# ALLOWED_HOSTS: the names browsers may use (against DNS rebinding); add yours, e.g.
#   -e ALLOWED_HOSTS=localhost,127.0.0.1,dispatch.example.com
ENV DISPATCH_HOME=/data \
    HOME=/data \
    HOST=0.0.0.0 \
    PORT=3030 \
    ALLOWED_HOSTS=localhost,127.0.0.1 \
    SHELL=/bin/bash \
    LANG=C.UTF-8
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3030
# The image has no curl: the gateway asks its own /health.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/dispatch-gateway", "--health-check"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/dispatch-gateway"]
