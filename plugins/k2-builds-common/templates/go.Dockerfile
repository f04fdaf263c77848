# Go service, built by K2 from templates/go.Dockerfile (@internal/plugin-k2-builds-common).
# Needs go.mod (and go.sum when the module has dependencies); builds one main package
# as a static binary.

# Build stage: modules first, so this layer stays cached until go.mod or go.sum
# changes; then the sources. One pattern for both files: buildah fails a COPY whose
# pattern matches nothing, and a module without dependencies has no go.sum.
FROM ${{ buildImage }} AS build
WORKDIR /src
COPY go.* ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app ${{ goPackage }}

# Runtime stage: the binary and the CA certificates, run by user 1000.
FROM ${{ runtimeImage }}
WORKDIR /app
# K2 mounts the service's log directory at /log-dir; created here so the image runs
# the same without it. Logs go to stdout; files, if any, under /log-dir.
RUN mkdir -p /log-dir && chown 1000:1000 /log-dir
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build --chown=1000:1000 /out/app /app/app
USER 1000:1000
# The port K2 probes (k2.io/port); K2's probes replace a HEALTHCHECK.
EXPOSE ${{ port }}
ENTRYPOINT ["/app/app"]
