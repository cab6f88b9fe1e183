# The server as a container: `deno compile` in Deno's image, then the single binary on Debian
# slim, run as a non-root user, happy with a read-only root filesystem. It serves HTTP on
# 0.0.0.0:8123 and refuses to start without a bearer token (MCP_AUTH_TOKEN) off loopback.
#
#   docker build -t byted-live-promotion .
#   docker run --read-only -p 8123:8123 -e MCP_AUTH_TOKEN -e SERVICE_ACCOUNT_SECRET byted-live-promotion
#
# Debian slim rather than distroless: the HEALTHCHECK needs a shell (bash's /dev/tcp, no curl),
# and DENO_TLS_CA_STORE=system needs the CA bundle of a package-managed system.

ARG DENO_VERSION=2.9.6

FROM denoland/deno:${DENO_VERSION} AS build
WORKDIR /app
COPY deno.json deno.lock main.ts ./
COPY src/ src/
RUN deno install --frozen --entrypoint main.ts && deno task compile

FROM debian:stable-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates \
  && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/dist/byted-live-promotion /usr/local/bin/byted-live-promotion
# Any numeric user works; 65532 is the usual "nonroot". Nothing is written at run time.
USER 65532:65532
EXPOSE 8123
# /health answers 200 for as long as the process serves, draining included.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${MCP_PORT:-8123} && printf 'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/local/bin/byted-live-promotion"]
CMD ["--host", "0.0.0.0", "--port", "8123"]
